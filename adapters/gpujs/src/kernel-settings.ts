import { LmoError } from '@lmo/core';
import { checkMode, isHostMode } from './modes.js';
import type { GpujsMode } from './types.js';

/** The `createKernel` settings returned by {@link kernelSettings}. */
export interface KernelSettings {
  output: [number];
  pipeline: boolean;
  immutable: true;
  precision: 'single';
  tactic: 'precision';
  dynamicOutput: false;
  dynamicArguments: false;
}

/**
 * The gpu.js `createKernel` settings this package compiles every kernel with, for a kernel of
 * `size` outputs in `mode`: IEEE float32 (`precision: 'single'`, `tactic: 'precision'`), a fresh
 * result per call (`immutable`), and in the device modes `pipeline: true`, so that the result stays
 * on the device. A kernel of your own compiled with them returns values that
 * {@link GpujsBackend.adopt} accepts as they are.
 *
 * @throws LmoError `BACKEND` for an unknown mode or a size that is not a positive integer.
 *
 * @example
 * ```ts
 * const gradient = gpu.createKernel(fn, kernelSettings('webgpu', rows * cols));
 * const g = backend.adopt(await gradient(backend.deviceValue(w)), [rows, cols]);
 * ```
 */
export function kernelSettings(mode: GpujsMode, size: number): KernelSettings {
  if (!Number.isSafeInteger(size) || size < 1) throw new LmoError('BACKEND', `@lmo/gpujs: kernelSettings(mode, size): size must be a positive integer, got ${String(size)}`);
  return {
    output: [size],
    pipeline: !isHostMode(checkMode(mode)),
    immutable: true,
    precision: 'single',
    tactic: 'precision',
    dynamicOutput: false,
    dynamicArguments: false,
  };
}
