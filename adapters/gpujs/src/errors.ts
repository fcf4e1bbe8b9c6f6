/** gpu.js's own failures, as `LmoError`s that say what is missing and what to do. */
import { LmoError } from '@lmo/core';
import type { GpujsMode } from './types.js';

const NO_WEBGPU =
  "In Node pass navigatorGpu: create() from the 'webgpu' package (on a machine without a GPU with Dawn's OpenGL ES adapter: " +
  "create(['backend=opengles']) and adapterOptions: { featureLevel: 'compatibility' }); in a browser use one with WebGPU enabled. " +
  "Or choose mode 'cpu' or 'webasm'; probeMode('webgpu') tells whether the mode works here.";

/** What a gpu.js error message means here, when it is one of the known ones. */
function explain(mode: GpujsMode, message: string): string | undefined {
  if (/no adapter is available/i.test(message)) {
    return `@lmo/gpujs: there is no WebGPU adapter here (navigator.gpu.requestAdapter() found none, so no kernel can run). ${NO_WEBGPU}`;
  }
  if (/navigator\.gpu is missing/i.test(message) || (mode === 'webgpu' && /requested mode .* not supported/i.test(message))) {
    return `@lmo/gpujs: mode 'webgpu' needs WebGPU (navigator.gpu), and there is none here. ${NO_WEBGPU}`;
  }
  if (mode === 'headlessgl' && /requested mode .* not supported/i.test(message)) {
    return "@lmo/gpujs: mode 'headlessgl' needs the 'gl' package (headless-gl) built for this machine and a GL context (e.g. under Xvfb), and it does not load here. Install gl, or choose mode 'cpu' or 'webasm'; probeMode('headlessgl') tells whether the mode works here.";
  }
  if (/requested mode .* not supported/i.test(message)) {
    return `@lmo/gpujs: mode '${mode}' is not supported here (gpu.js: ${message}). Choose mode 'cpu' or 'webasm', or test with probeMode('${mode}').`;
  }
  return undefined;
}

/** `error` as a `BACKEND` LmoError (an LmoError passes through), with gpu.js's error as its cause. */
export function gpujsError(mode: GpujsMode, doing: string, error: unknown): LmoError {
  if (error instanceof LmoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new LmoError('BACKEND', explain(mode, message) ?? `@lmo/gpujs: ${doing} failed in mode '${mode}': ${message}`);
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
