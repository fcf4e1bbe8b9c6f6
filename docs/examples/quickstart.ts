import { Random, biasRMS, scion, spectral, warmupCosine } from '@lmo/core';
import { referenceBackend as backend, type RefTensor } from '@lmo/core/reference';

// A linear layer y = W·x + b, stored PyTorch-style: W is [d_out, d_in].
const dIn = 8;
const dOut = 4;
const params = {
  weight: backend.fromArray(new Float32Array(dOut * dIn), [dOut, dIn]),
  bias: backend.fromArray(new Float32Array(dOut), [dOut]),
};

const optimizer = scion(backend, params, {
  lr: 0.05,
  schedule: warmupCosine({ warmup: 10, decaySteps: 200 }),
  groups: [
    { name: 'hidden', match: 'weight', norm: spectral(), scale: 3 },
    { name: 'bias', match: 'bias', norm: biasRMS(), scale: 1 },
  ],
});
optimizer.init(42); // each parameter gets its norm's init, times its group's scale

// A batch of inputs and the outputs of a random "teacher" layer that we want to fit.
const rng = new Random(1);
const batch = 32;
const x = Float32Array.from({ length: batch * dIn }, () => rng.normal());
const teacher = Float32Array.from({ length: dOut * dIn }, () => 0.3 * rng.normal());
const target = new Float32Array(batch * dOut);
for (let n = 0; n < batch; n++)
  for (let i = 0; i < dOut; i++)
    for (let j = 0; j < dIn; j++) target[n * dOut + i]! += teacher[i * dIn + j]! * x[n * dIn + j]!;

// Mean squared error and its gradients, by hand (your framework's autodiff does this for you).
function lossAndGrads(): { loss: number; grads: Record<string, RefTensor> } {
  const w = params.weight.data;
  const b = params.bias.data;
  const gw = new Float32Array(dOut * dIn);
  const gb = new Float32Array(dOut);
  let loss = 0;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < dOut; i++) {
      let y = b[i]!;
      for (let j = 0; j < dIn; j++) y += w[i * dIn + j]! * x[n * dIn + j]!;
      const err = y - target[n * dOut + i]!;
      loss += (err * err) / (batch * dOut);
      const dy = (2 * err) / (batch * dOut);
      gb[i]! += dy;
      for (let j = 0; j < dIn; j++) gw[i * dIn + j]! += dy * x[n * dIn + j]!;
    }
  }
  return { loss, grads: { weight: backend.fromArray(gw, [dOut, dIn]), bias: backend.fromArray(gb, [dOut]) } };
}

export const losses: number[] = [];
for (let step = 0; step < 200; step++) {
  const { loss, grads } = lossAndGrads();
  losses.push(loss);
  optimizer.step(grads); // the reference backend is synchronous: step() returns void
}
console.log(`loss ${losses[0]!.toFixed(4)} → ${losses[199]!.toFixed(4)} after 200 Scion steps`);
