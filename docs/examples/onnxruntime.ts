import { Random, biasRMS, scion, spectral, warmupCosine } from '@lmo/core';
import { onnxBackend } from '@lmo/onnxruntime';

const backend = onnxBackend({ executionProviders: ['cpu'], intraOpNumThreads: 2 });
const rng = new Random(0);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

// Parameters are the backend's persistent tensors (CPU Float32Arrays), updated in place.
const params = {
  'fc.weight': backend.fromArray(randn(64 * 32), [64, 32]),
  'ln.weight': backend.fromArray(new Float32Array(32).fill(1), [32]),
};
const optimizer = scion(backend, params, {
  lr: 2 ** -8,
  schedule: warmupCosine({ warmup: 100, decaySteps: 2000 }),
  groups: [
    { match: 'fc.*', norm: spectral(), scale: 3 },
    { match: 'ln.*', norm: biasRMS(), scale: 3 },
  ],
});

for (let step = 0; step < 10; step++) {
  // Your gradients, as tensors of the same backend (random numbers in this example).
  const grads = {
    'fc.weight': backend.fromArray(randn(64 * 32), [64, 32]),
    'ln.weight': backend.fromArray(randn(32), [32]),
  };
  await optimizer.step(grads); // traced into one ONNX graph, compiled on the first step, then reused
  for (const g of Object.values(grads)) backend.dispose(g);
}

export const weights = await backend.read(params['ln.weight']);
export const sessions = backend.stats.sessionsCreated; // one session per distinct step structure
console.log(`10 steps, ${sessions} compiled session(s); ln.weight[0..3] = ${Array.from(weights.slice(0, 4), (v) => v.toFixed(4)).join(', ')}`);
await backend.close(); // release the compiled sessions
