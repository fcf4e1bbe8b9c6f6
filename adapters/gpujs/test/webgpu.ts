/**
 * A `navigator.gpu` for gpu.js's webgpu mode in Node, from the `webgpu` package (Dawn) when it
 * loads here. Set `LMO_WEBGPU_FLAGS` (comma-separated Dawn toggles, e.g. `backend=opengles`) to pick
 * an adapter; DESIGN.md §5 lists what works without a GPU.
 */
import type { GpujsBackendOptions } from '../src/index.js';

export async function webgpuOptions(): Promise<{ options: GpujsBackendOptions } | { reason: string }> {
  let mod: { create: (flags: string[]) => unknown; globals?: Record<string, unknown> };
  try {
    const name = process.env.LMO_WEBGPU_MODULE ?? 'webgpu';
    mod = (await import(/* @vite-ignore */ name)) as typeof mod;
  } catch (e) {
    return { reason: `the 'webgpu' package (Dawn) does not load here: ${firstLine(e)}` };
  }
  try {
    if (mod.globals) Object.assign(globalThis, mod.globals);
    const flags = (process.env.LMO_WEBGPU_FLAGS ?? '').split(',').filter((s) => s.length > 0);
    const gpu = mod.create(flags) as { requestAdapter(o?: object): Promise<unknown> };
    const featureLevel = process.env.LMO_WEBGPU_FEATURE_LEVEL;
    const adapter = await gpu.requestAdapter(featureLevel ? { featureLevel } : undefined);
    if (adapter === null || adapter === undefined) return { reason: 'webgpu: no adapter (no GPU, no usable Vulkan/GL driver)' };
    return { options: { mode: 'webgpu', navigatorGpu: gpu } };
  } catch (e) {
    return { reason: `webgpu: ${firstLine(e)}` };
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}
