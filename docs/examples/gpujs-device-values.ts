import { muon } from '@lmo/core';
import { createGpujsBackend } from '@lmo/gpujs';
import { GPU } from 'gpu.js';

/**
 * Your own gpu.js kernels and the optimizer on one gpu.js instance: the kernel reads the weights
 * where they live (`deviceValue`) and its result becomes the gradient tensor as it is (`adopt`).
 */
export async function trainWithOwnKernel(steps = 20) {
  const [rows, cols] = [16, 8];
  const gpu = new GPU({ mode: 'cpu' });
  const backend = createGpujsBackend({ mode: 'cpu', gpu }); // one gpu.js instance for both

  // The gradient of ½‖W − T‖² is W − T: a kernel of your own (a backward pass, in real use).
  const gradient = gpu.createKernel(
    function (w: number[], t: number[]) {
      return w[this.thread.x]! - t[this.thread.x]!;
    },
    // in 'headlessgl' and 'webgpu' add `pipeline: true`, so the result stays on the device
    { output: [rows * cols], immutable: true, precision: 'single' },
  );
  const target = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i));

  const w = backend.fromArray(new Float32Array(rows * cols), [rows, cols]);
  const optimizer = muon(backend, { w }, { lr: 0.1 });
  const distance = () => Math.hypot(...backend.read(w).map((v, i) => v - target[i]!));

  const distances = [distance()];
  for (let step = 0; step < steps; step++) {
    const g = backend.adopt(gradient(backend.deviceValue(w), target) as Float32Array, [rows, cols]);
    optimizer.step({ w: g }); // 'cpu' is synchronous: step() returns void
    backend.dispose(g); // frees the kernel's result: the backend owns it since adopt()
    distances.push(distance());
  }
  backend.destroy();
  return distances;
}
