import { Random, biasRMS, scion, spectral, type ExecutionMode, type TensorBackend } from '@lmo/core';

/**
 * A few Scion steps on a 64×32 weight (spectral) and a gain vector (RMS), with random gradients, on
 * any backend; returns the parameters. `await` works whether the backend is synchronous or not.
 */
export async function scionSteps<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, steps: number) {
  const rng = new Random(0);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const params = { 'mlp.weight': backend.fromArray(randn(64 * 32), [64, 32]), 'ln.weight': backend.fromArray(new Float32Array(32).fill(1), [32]) };
  const optimizer = scion(backend, params, {
    lr: 2 ** -6,
    groups: [
      { match: 'mlp.*', norm: spectral(), scale: 3 },
      { match: 'ln.*', norm: biasRMS(), scale: 3 },
    ],
  });
  for (let step = 0; step < steps; step++) {
    const grads = { 'mlp.weight': backend.fromArray(randn(64 * 32), [64, 32]), 'ln.weight': backend.fromArray(randn(32), [32]) };
    await optimizer.step(grads); // a Promise on asynchronous backends (gpu.js webgpu, onnxruntime)
    for (const g of Object.values(grads)) backend.dispose(g);
  }
  optimizer.dispose();
  return params;
}
