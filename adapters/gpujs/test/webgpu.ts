/**
 * A `navigator.gpu` for gpu.js's webgpu mode in Node, from the `webgpu` package (Dawn).
 * A regular adapter (a real GPU through Vulkan: set `VK_DRIVER_FILES` where needed) is tried where a
 * Vulkan loader is installed. Dawn's OpenGL ES compatibility adapter over EGL surfaceless Mesa
 * (docs/guide/gpujs.md, WebGPU in Node) runs without a GPU (llvmpipe) and is tried only with
 * `LMO_WEBGPU=compat`: it is slow and Dawn prints warnings about it, so CI runs it as its own step.
 * `LMO_WEBGPU=off` skips both; `LMO_WEBGPU=gpu` insists on a GPU adapter.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GpujsBackendOptions } from '../src/index.js';

/** Whether a Vulkan loader (libvulkan.so.1) is where the dynamic linker looks (Linux; true elsewhere). */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
  return dirs.some((d) => d !== '' && existsSync(join(d, 'libvulkan.so.1')));
}

type Dawn = { create: (flags: string[]) => { requestAdapter(o?: object): Promise<unknown> }; globals?: Record<string, unknown> };

export async function webgpuOptions(): Promise<{ options: GpujsBackendOptions; adapter: string } | { reason: string }> {
  if (process.env.LMO_WEBGPU === 'off') return { reason: 'LMO_WEBGPU=off' };
  let dawn: Dawn;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  process.env.EGL_PLATFORM ??= 'surfaceless';
  try {
    dawn = (await import('webgpu')) as unknown as Dawn;
  } catch (e) {
    return { reason: `the 'webgpu' package (Dawn) does not load here: ${firstLine(e)}` };
  }
  if (dawn.globals) Object.assign(globalThis, dawn.globals);
  const tries: Array<[string, string[], Record<string, unknown> | undefined]> = [];
  const failures: string[] = [];
  if (vulkanLoaderPresent() || process.env.LMO_WEBGPU === 'gpu') tries.push(['vulkan/default', [], undefined]);
  else failures.push('no Vulkan loader (libvulkan.so.1)');
  if (process.env.LMO_WEBGPU === 'compat') {
    tries.push(['opengles compatibility (EGL surfaceless)', ['backend=opengles'], { featureLevel: 'compatibility' }]);
  } else if (process.env.LMO_WEBGPU !== 'gpu') {
    failures.push('LMO_WEBGPU=compat runs it on the software OpenGL ES adapter');
  }
  for (const [label, flags, adapterOptions] of tries) {
    try {
      const gpu = dawn.create(flags);
      const adapter = await gpu.requestAdapter(adapterOptions);
      if (adapter) {
        return { adapter: label, options: { mode: 'webgpu', navigatorGpu: gpu, ...(adapterOptions ? { adapterOptions } : {}) } };
      }
      failures.push(`${label}: no adapter`);
    } catch (e) {
      failures.push(`${label}: ${firstLine(e)}`);
    }
  }
  return { reason: `webgpu: ${failures.join('; ')}` };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}
