/**
 * What fails on gpu.js fails as an `LmoError` that says what is missing and what to do: a mode that
 * does not load here, WebGPU without an adapter, and any use of a backend after `destroy()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LmoError, scion, scionLight } from '@lmo/core';
import { createGpujsBackend, type GpujsBackend } from '../src/index.js';
import { modes } from './modes.js';

const g = globalThis as { navigator?: { gpu?: unknown } };
const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
afterEach(() => {
  if (original === undefined) delete g.navigator;
  else Object.defineProperty(globalThis, 'navigator', original);
});

async function failure(f: () => unknown): Promise<LmoError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(LmoError);
    return e as LmoError;
  }
  throw new Error('expected a failure');
}

describe('gpu.js failures are LmoErrors that say what to do', () => {
  it("mode 'webgpu' without navigator.gpu: no WebGPU here, and how to get it", async () => {
    if (g.navigator?.gpu !== undefined) return; // a WebGPU runtime is installed: nothing to refuse
    const e = await failure(() => createGpujsBackend({ mode: 'webgpu' }));
    expect(e.code).toBe('BACKEND');
    expect(e.message).toMatch(/mode 'webgpu' needs WebGPU \(navigator\.gpu\), and there is none here\. In Node pass navigatorGpu: create\(\) from the 'webgpu' package/);
  });

  it("mode 'webgpu' with a navigator.gpu that has no adapter: the first run says so (not 'a kernel input was not computed')", async () => {
    const b = createGpujsBackend({ mode: 'webgpu', navigatorGpu: { requestAdapter: async () => null } });
    const x = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const y = b.zerosLike(x);
    const e = await failure(() => b.run(() => b.assign(y, b.scale(x, 2))));
    expect(e.message).toMatch(/there is no WebGPU adapter here/);
    expect(e.message).toMatch(/probeMode\('webgpu'\)/);
    expect(e.message).not.toMatch(/not computed/);
  });

  it('16-bit storage: gpu.js stores float32 only, and says so at construction (never a silent float32 fallback)', async () => {
    const b = createGpujsBackend({ mode: 'cpu' });
    const w = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    expect((await failure(() => b.fromArray(Float32Array.of(1, 2), [2], 'bfloat16'))).message).toMatch(/@lmo\/gpujs: fromArray cannot store "bfloat16": this backend stores float32 only/);
    expect((await failure(() => b.zerosLike(w, 'float16'))).code).toBe('BACKEND');
    const e = await failure(() => scionLight(b, { w }, { lr: 0.1, bufferDtype: 'bfloat16' }));
    expect(e.code).toBe('BACKEND');
    expect(e.message).toMatch(/bufferDtype: the gpujs-cpu backend does not store bfloat16 \(it stores float32\)/);
    b.destroy();
  });

  it("mode 'headlessgl' where headless-gl does not load: an LmoError naming it", async () => {
    const headless = (await modes()).find((m) => m.mode === 'headlessgl')!;
    if (headless.available) return; // it loads here: nothing to refuse
    const e = await failure(() => createGpujsBackend({ mode: 'headlessgl' }));
    expect(e.message).toMatch(/mode 'headlessgl' needs the 'gl' package/);
  });
});

describe('after destroy()', () => {
  it('every primitive and the optimizer fail with a BACKEND error; its tensors are no longer tensors', async () => {
    const b: GpujsBackend<'sync'> = createGpujsBackend({ mode: 'cpu' });
    const w = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const opt = scion(b, { w }, { lr: 0.1 });
    b.destroy();
    expect(b.isTensor(w)).toBe(false);
    for (const f of [() => b.fromArray(Float32Array.of(1), [1]), () => b.read(w), () => b.run(() => b.assign(w, b.scale(w, 2))), () => opt.step({ w })]) {
      const e = await failure(f);
      expect(e.code).toBe('BACKEND');
      expect(e.message).toMatch(/destroyed|not a tensor/);
    }
  });
});
