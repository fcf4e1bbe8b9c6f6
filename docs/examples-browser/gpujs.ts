import { Random, biasRMS, scion, spectral } from '@lmo/core';
import { createGpujsBackend, probeMode, type GpujsMode } from '@lmo/gpujs';

/** Scion on gpu.js kernels in the page: WebGPU when the browser has it, else WebAssembly. */
export async function scionOnGpujs(steps = 5) {
  let mode: GpujsMode = 'cpu';
  for (const candidate of ['webgpu', 'webasm'] as const) {
    if ((await probeMode(candidate)).available) {
      mode = candidate;
      break;
    }
  }
  const backend = createGpujsBackend({ mode }); // in a page, gpu.js finds navigator.gpu itself
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
    await optimizer.step(grads); // a Promise in webgpu mode
    for (const g of Object.values(grads)) backend.dispose(g);
  }
  const weight = await backend.read(params['mlp.weight']);
  optimizer.dispose();
  backend.destroy();
  return { mode, weight };
}
