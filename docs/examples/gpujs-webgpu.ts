import { Random, scion, spectral } from '@lmo/core';
import { createGpujsBackend, type GpujsBackendOptions } from '@lmo/gpujs';
import { create, globals } from 'webgpu'; // Dawn for Node, 0.6.x

// gpu.js looks for navigator.gpu: hand it Dawn's. A GPU adapter if there is one; else Dawn's OpenGL ES
// compatibility adapter on software GL (Mesa over EGL surfaceless), which runs without a GPU.
Object.assign(globalThis, globals);
process.env.XDG_RUNTIME_DIR ??= '/tmp';
process.env.EGL_PLATFORM ??= 'surfaceless';
let options: GpujsBackendOptions = { mode: 'webgpu', navigatorGpu: create([]) };
if (process.env.LMO_WEBGPU === 'compat' || !(await create([]).requestAdapter())) {
  const adapterOptions = { featureLevel: 'compatibility' }; // merged into gpu.js's requestAdapter()
  options = { mode: 'webgpu', navigatorGpu: create(['backend=opengles']), adapterOptions };
}
const backend = createGpujsBackend(options);

const rng = new Random(0);
const w = backend.fromArray(Float32Array.from({ length: 64 * 32 }, () => rng.normal()), [64, 32]);
const optimizer = scion(backend, { w }, { lr: 2 ** -8, norm: spectral(), scale: 3 });
await optimizer.step({ w: backend.fromArray(Float32Array.from({ length: 64 * 32 }, () => rng.normal()), [64, 32]) }); // a Promise in webgpu mode
export const first = (await backend.read(w)).slice(0, 4);
console.log(`webgpu: one Scion step; w[0..3] = ${Array.from(first, (v) => v.toFixed(4)).join(', ')}`);
backend.destroy();
