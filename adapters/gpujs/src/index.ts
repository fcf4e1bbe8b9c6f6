/**
 * `@lmo/gpujs`: the `@lmo/core` tensor contract on gpu.js kernels.
 *
 * ```ts
 * import { scion } from '@lmo/core';
 * import { createGpujsBackend } from '@lmo/gpujs';
 * const backend = createGpujsBackend({ mode: 'webasm' });
 * ```
 * @packageDocumentation
 * @module @lmo/gpujs
 */
export { GpujsBackend, createGpujsBackend, type GpujsBackendOptions } from './backend.js';
export { GpujsTensor } from './tensor.js';
export type { DeviceHandle, DeviceValue, ExecutionOf, GpujsMode, GpujsStats } from './types.js';
export { probeMode, type ModeAvailability } from './probe.js';
export { kernelSettings, type KernelSettings } from './kernel-settings.js';
