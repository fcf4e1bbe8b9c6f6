import { createGpujsBackend, probeMode, type GpujsMode } from '@lmo/gpujs';
import { scionSteps } from './scion-steps.js';

/** Scion on gpu.js kernels in the page: WebGPU when the browser has it, else WebGL 2, else WebAssembly. */
export async function scionOnGpujs(steps = 5) {
  let mode: GpujsMode = 'cpu';
  for (const candidate of ['webgpu', 'webgl2', 'webasm'] as const) {
    if ((await probeMode(candidate)).available) {
      mode = candidate;
      break;
    }
  }
  const backend = createGpujsBackend({ mode }); // in a page, gpu.js finds navigator.gpu itself
  const params = await scionSteps(backend, steps);
  const weight = await backend.read(params['mlp.weight']);
  backend.destroy(); // frees every kernel and device value
  return { mode, weight };
}
