import { colNorm, scion, sign, spectral, warmupCosine } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';

const params = {
  'embed.weight': backend.fromArray(new Float32Array(64 * 32), [64, 32]),
  'hidden.weight': backend.fromArray(new Float32Array(32 * 32), [32, 32]),
  'head.weight': backend.fromArray(new Float32Array(10 * 32), [10, 32]),
};

export const optimizer = scion(backend, params, {
  lr: 2 ** -8, // γ: base learning rate of every group
  momentum: 0.1, // α = 1 − β; 1 disables the buffer
  scale: 3, // ρ for groups that do not set their own
  schedule: warmupCosine({ warmup: 100, decaySteps: 2000 }), // multiplies γ at each step
  nonFinite: 'skip', // NaN/Inf gradient: skip the step instead of throwing
  groups: [
    { name: 'embed', match: 'embed.*', norm: colNorm({ transpose: true }) },
    { name: 'hidden', match: 'hidden.*', norm: spectral(), momentum: 0.05 },
    { name: 'head', match: 'head.*', norm: sign(), scale: 180, lr: 2 ** -9, unconstrained: true },
  ],
});

// γ that each group uses at the next step (base lr × schedule(stepCount)):
export const lrHidden = optimizer.learningRate('hidden.weight'); // 2⁻⁸ · 1/101 at step 0
export const lrHead = optimizer.learningRate('head.weight'); // 2⁻⁹ · 1/101 at step 0
