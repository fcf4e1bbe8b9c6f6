import { muon, normalizedSGD, scion, signSGD, spectral, sign, biasRMS, type NamedTensors } from '@lmo/core';
import { referenceBackend as backend, type RefTensor } from '@lmo/core/reference';

const params: NamedTensors<RefTensor> = {
  'hidden.weight': backend.fromArray(new Float32Array(16 * 16), [16, 16]),
  'hidden.bias': backend.fromArray(new Float32Array(16), [16]),
  'head.weight': backend.fromArray(new Float32Array(10 * 16), [10, 16]),
};

// The same rule, four optimizers:
export const sgdSign = signSGD(backend, params, { lr: 1e-3 }); // x ← x − γ·sign(g)
export const sgdNormalized = normalizedSGD(backend, params, { lr: 1e-2 }); // x ← x − γ·g/‖g‖_F
export const muonLike = muon(backend, params, { lr: 0.02 }); // spectral LMO, α = 0.05, uSCG
export const scionPerLayer = scion(backend, params, {
  lr: 2 ** -8,
  groups: [
    { match: 'hidden.weight', norm: spectral(), scale: 3 },
    { match: 'hidden.bias', norm: biasRMS(), scale: 3 },
    { match: 'head.weight', norm: sign(), scale: 180 },
  ],
});
