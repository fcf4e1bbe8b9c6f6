/**
 * A `navigator.gpu` for gpu.js's webgpu mode in Node, from the `webgpu` package (Dawn).
 * First a regular adapter (a real GPU through Vulkan: set `VK_DRIVER_FILES` where needed); else
 * Dawn's OpenGL ES compatibility adapter over EGL surfaceless Mesa, which runs
 * without a GPU (llvmpipe). `LMO_WEBGPU=off` skips both; `LMO_WEBGPU=gpu` skips the GL fallback.
 */
import type { GpujsBackendOptions } from '../src/index.js';

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
  const tries: Array<[string, string[], Record<string, unknown> | undefined]> = [['vulkan/default', [], undefined]];
  if (process.env.LMO_WEBGPU !== 'gpu') {
    tries.push(['opengles compatibility (EGL surfaceless)', ['backend=opengles'], { featureLevel: 'compatibility' }]);
  }
  const failures: string[] = [];
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
