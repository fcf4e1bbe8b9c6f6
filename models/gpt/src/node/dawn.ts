/**
 * A `navigator.gpu` for gpu.js's `webgpu` mode in Node, from the optional `webgpu` package (Dawn).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GpujsBackendOptions } from '@lmo/gpujs';

/** Whether a Vulkan loader (libvulkan.so.1) is where the dynamic linker looks (Linux; true elsewhere). */
export function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
  return dirs.some((d) => d !== '' && existsSync(join(d, 'libvulkan.so.1')));
}

interface Dawn {
  create(flags: string[]): { requestAdapter(options?: object): Promise<unknown> };
  globals?: Record<string, unknown>;
}

/**
 * Options that give `@lmo/gpujs` a WebGPU entry point: the page's `navigator.gpu` when there is one,
 * else Dawn's (`webgpu` package) on a real GPU adapter, else — only with `LMO_WEBGPU=compat` — Dawn's
 * OpenGL ES compatibility adapter over EGL surfaceless Mesa (software, for correctness checks
 * without a GPU). Throws an `Error` saying what is missing.
 */
export async function webgpuNavigatorOptions(): Promise<Omit<GpujsBackendOptions, 'mode' | 'gpu'>> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu !== undefined) return {};
  let dawn: Dawn;
  try {
    dawn = (await import('webgpu')) as unknown as Dawn;
  } catch (e) {
    throw new Error(`no navigator.gpu, and the optional 'webgpu' package (Dawn) does not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  if (dawn.globals !== undefined) Object.assign(globalThis, dawn.globals);
  const failures: string[] = [];
  if (!vulkanLoaderPresent()) {
    failures.push('no GPU adapter (no Vulkan loader, libvulkan.so.1)');
  } else {
    try {
      const gpu = dawn.create([]);
      if ((await gpu.requestAdapter()) != null) return { navigatorGpu: gpu };
      failures.push('no GPU adapter');
    } catch (e) {
      failures.push(`GPU adapter: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (process.env.LMO_WEBGPU === 'compat') {
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const adapterOptions = { featureLevel: 'compatibility' };
    const gpu = dawn.create(['backend=opengles']);
    if ((await gpu.requestAdapter(adapterOptions)) != null) return { navigatorGpu: gpu, adapterOptions };
    failures.push('no OpenGL ES compatibility adapter');
  } else {
    failures.push('set LMO_WEBGPU=compat to use the software OpenGL ES adapter');
  }
  throw new Error(failures.join('; '));
}
