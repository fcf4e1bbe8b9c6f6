import { LmoError } from '@lmo/core';
import type { GpujsMode } from './types.js';

const GPUJS_MODES: readonly GpujsMode[] = ['cpu', 'webasm', 'headlessgl', 'webgl', 'webgl2', 'webgpu'];

/** `mode` itself, or an `LmoError` naming the modes there are. */
export function checkMode(mode: unknown): GpujsMode {
  if (!(GPUJS_MODES as readonly unknown[]).includes(mode)) {
    throw new LmoError('BACKEND', `@lmo/gpujs: mode must be one of ${GPUJS_MODES.map((m) => `'${m}'`).join(', ')}; got '${String(mode)}'`);
  }
  return mode as GpujsMode;
}

/** Whether a mode's values live in host `Float32Array`s (`cpu`, `webasm`) rather than on a device. */
export function isHostMode(mode: GpujsMode): boolean {
  return mode === 'cpu' || mode === 'webasm';
}
