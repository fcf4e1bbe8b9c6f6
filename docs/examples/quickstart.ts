import { biasRMS, scion, spectral, warmupCosine } from '@lmo/core';
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

// Mean squared error against a fixed target layer, and its gradients (by hand, in plain JS).
function lossAndGrads(x: Float32Array, target: Float32Array, batch: number) {
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
  const grads: Record<string, RefTensor> = {
    weight: backend.fromArray(gw, [dOut, dIn]),
    bias: backend.fromArray(gb, [dOut]),
  };
  return { loss, grads };
}

/** Trains for `steps` steps on a fixed batch and returns the loss before each step. */
export function train(x: Float32Array, target: Float32Array, batch: number, steps = 200): number[] {
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    const { loss, grads } = lossAndGrads(x, target, batch);
    losses.push(loss);
    optimizer.step(grads); // the reference backend is synchronous: step() returns void
  }
  return losses;
}
