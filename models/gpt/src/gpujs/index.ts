/** `@lmo/gpt/gpujs`: the GPT as gpu.js kernels, on the same gpu.js instance as `@lmo/gpujs`'s optimizer backend. */
export { GpujsModel, gpujsGpt } from './backend.js';
