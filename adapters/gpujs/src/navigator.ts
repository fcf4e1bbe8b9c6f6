/** Giving gpu.js (which looks for `navigator.gpu`) a WebGPU entry point in Node. */
import { LmoError } from '@lmo/core';

interface NavigatorGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Installs `given` (or the existing `navigator.gpu`) as `globalThis.navigator.gpu`, with
 * `adapterOptions` merged into every adapter request.
 */
export function installNavigatorGpu(given: unknown, adapterOptions: Readonly<Record<string, unknown>> | undefined): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  const base = (given ?? g.navigator?.gpu) as NavigatorGpu | undefined;
  if (base === undefined) {
    throw new LmoError('BACKEND', "@lmo/gpujs: mode 'webgpu' needs navigator.gpu (pass navigatorGpu: create() of the 'webgpu' package)");
  }
  let gpu: unknown = base;
  if (adapterOptions !== undefined) {
    gpu = new Proxy(base, {
      get(target, key) {
        if (key === 'requestAdapter') {
          return (options?: Record<string, unknown>) => target.requestAdapter({ ...adapterOptions, ...options });
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return;
  }
  try {
    (g.navigator as { gpu?: unknown }).gpu = gpu;
  } catch {
    // read-only (browsers)
  }
  if (g.navigator.gpu !== gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}
