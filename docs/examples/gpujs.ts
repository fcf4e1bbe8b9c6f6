import { Random, muon } from '@lmo/core';
import { createGpujsBackend, probeMode, type GpujsMode } from '@lmo/gpujs';

export async function trainOnGpujs(preferred: GpujsMode[] = ['headlessgl', 'webasm', 'cpu'], steps = 5) {
  // Pick the first gpu.js mode that works on this machine.
  let mode: GpujsMode = 'cpu';
  for (const candidate of preferred) {
    if ((await probeMode(candidate)).available) {
      mode = candidate;
      break;
    }
  }
  const backend = createGpujsBackend({ mode });
  const rng = new Random(0);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

  const params = { 'block.weight': backend.fromArray(randn(48 * 32), [48, 32]), 'block.bias': backend.fromArray(new Float32Array(48), [48]) };
  const optimizer = muon(backend, params, { lr: 0.02 }); // spectral LMO on the matrix, RMS on the bias

  for (let step = 0; step < steps; step++) {
    const grads = { 'block.weight': backend.fromArray(randn(48 * 32), [48, 32]), 'block.bias': backend.fromArray(randn(48), [48]) };
    await optimizer.step(grads); // void in the synchronous modes, a Promise in 'webgpu': await works for all
    for (const g of Object.values(grads)) backend.dispose(g);
  }
  const bias = await backend.read(params['block.bias']);
  const stats = backend.stats();
  backend.destroy(); // free kernels and device memory
  return { mode, bias, stats };
}
