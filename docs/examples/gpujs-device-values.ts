import { muon } from '@lmo/core';
import { createGpujsBackend, kernelSettings } from '@lmo/gpujs';
import { GPU } from 'gpu.js';

// Your own gpu.js kernels and the optimizer on one gpu.js instance.
const gpu = new GPU({ mode: 'cpu' });
const backend = createGpujsBackend({ mode: 'cpu', gpu }); // GpujsBackend<'sync'>

// The gradient of ½‖W − T‖² is W − T: a kernel of your own (a backward pass, in real use).
const [rows, cols] = [16, 8];
const gradient = gpu.createKernel(
  function (w: number[], t: number[]) {
    return w[this.thread.x]! - t[this.thread.x]!;
  },
  // the backend's own kernel settings (in the device modes the result stays on the device)
  kernelSettings('cpu', rows * cols),
);
const target = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i));

const w = backend.fromArray(new Float32Array(rows * cols), [rows, cols]);
const optimizer = muon(backend, { w }, { lr: 0.1 });
const distance = () => Math.hypot(...backend.read(w).map((v, i) => v - target[i]!));

export const distances = [distance()];
for (let step = 0; step < 20; step++) {
  // the kernel reads the weights where they live; its result becomes the gradient tensor as it is
  const g = backend.adopt(gradient(backend.deviceValue(w), target) as Float32Array, [rows, cols]);
  optimizer.step({ w: g }); // 'cpu' is synchronous: step() returns void
  backend.dispose(g); // frees the kernel's result: the backend owns it since adopt()
  distances.push(distance());
}
console.log(`own kernel: ‖W − T‖ from ${distances[0]!.toFixed(3)} to ${distances[20]!.toFixed(3)} in 20 Muon steps`);
backend.destroy();
