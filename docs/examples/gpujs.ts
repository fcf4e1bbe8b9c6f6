import { Random, muon } from '@lmo/core';
import { createGpujsBackend, probeMode, type GpujsMode } from '@lmo/gpujs';

// Pick the first gpu.js mode that works on this machine.
let mode: GpujsMode = 'cpu';
for (const candidate of ['headlessgl', 'webasm', 'cpu'] as const) {
  if ((await probeMode(candidate)).available) {
    mode = candidate;
    break;
  }
}
const backend = createGpujsBackend({ mode });
const rng = new Random(0);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

const params = {
  'block.weight': backend.fromArray(randn(48 * 32), [48, 32]),
  'block.bias': backend.fromArray(new Float32Array(48), [48]),
};
const optimizer = muon(backend, params, { lr: 0.02 }); // spectral LMO on the matrix, RMS on the bias

for (let step = 0; step < 3; step++) {
  const grads = { 'block.weight': backend.fromArray(randn(48 * 32), [48, 32]), 'block.bias': backend.fromArray(randn(48), [48]) };
  await optimizer.step(grads); // void in the synchronous modes, a Promise in 'webgpu': await works for all
  for (const g of Object.values(grads)) backend.dispose(g);
}
export const bias = await backend.read(params['block.bias']);
export const stats = backend.stats();
export { mode };
console.log(`gpu.js ${mode}: 3 Muon steps; bias[0..3] = ${Array.from(bias.slice(0, 4), (v) => v.toFixed(4)).join(', ')}`);
backend.destroy(); // free kernels and device memory
