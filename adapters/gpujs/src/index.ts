/**
 * `@lmo/gpujs`: the `@lmo/core` tensor contract on gpu.js kernels.
 *
 * ```ts
 * import { scion } from '@lmo/core';
 * import { createGpujsBackend } from '@lmo/gpujs';
 * const backend = createGpujsBackend({ mode: 'webasm' });
 * ```
 * @packageDocumentation
 */
export { GpujsBackend, GpujsTensor, createGpujsBackend } from './backend.js';
export type { GpujsBackendOptions, GpujsStats } from './backend.js';
export type { GpujsMode, EngineStats } from './engine.js';
export { probeMode } from './probe.js';
export type { ModeAvailability } from './probe.js';
