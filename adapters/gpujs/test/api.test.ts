/**
 * The package's own API beyond the contract: the execution mode and its types, `isTensor` as the
 * optimizer uses it, and handing device values in and out (`adopt`, `deviceValue`).
 */
import { GPU } from 'gpu.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LmoError, muon, type ExecutionMode } from '@lmo/core';
import { createReferenceBackend } from '@lmo/core/reference';
import { GpujsTensor, createGpujsBackend, kernelSettings, probeMode, type DeviceValue, type GpujsBackend, type GpujsMode } from '../src/index.js';
import { modes } from './modes.js';

const cases = await modes();

/** The error `f` throws (or its Promise rejects with). */
async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('execution mode', () => {
  it('is typed from the gpu.js mode', () => {
    expectTypeOf(createGpujsBackend()).toEqualTypeOf<GpujsBackend<'sync'>>();
    expectTypeOf(createGpujsBackend({ mode: 'webasm' })).toEqualTypeOf<GpujsBackend<'sync'>>();
    expectTypeOf(createGpujsBackend<'headlessgl'>).returns.toEqualTypeOf<GpujsBackend<'sync'>>();
    expectTypeOf(createGpujsBackend<'webgl'>).returns.toEqualTypeOf<GpujsBackend<'sync'>>();
    expectTypeOf(createGpujsBackend<'webgl2'>).returns.toEqualTypeOf<GpujsBackend<'sync'>>();
    expectTypeOf(createGpujsBackend<'webgpu'>).returns.toEqualTypeOf<GpujsBackend<'async'>>();
    expectTypeOf(createGpujsBackend<GpujsMode>).returns.toEqualTypeOf<GpujsBackend<ExecutionMode>>();
    const b = createGpujsBackend({ mode: 'cpu' });
    const opt = muon(b, { w: b.fromArray(new Float32Array(6), [2, 3]) }, { lr: 0.1 });
    expectTypeOf(opt.step).returns.toEqualTypeOf<void>();
    expectTypeOf(b.read).returns.toEqualTypeOf<Float32Array>();
    expectTypeOf<ReturnType<GpujsBackend<'async'>['read']>>().toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf<ReturnType<GpujsBackend<'async'>['run']>>().toEqualTypeOf<Promise<boolean>>();
    b.destroy();
  });

  for (const c of cases) {
    it.skipIf(!c.available)(`${c.mode}: mode ${c.mode === 'webgpu' ? "'async'" : "'sync'"} at run time`, async () => {
      const b = createGpujsBackend(c.options);
      expect(b.gpujsMode).toBe(c.mode);
      expect(b.mode).toBe(c.mode === 'webgpu' ? 'async' : 'sync');
      expect(b.name).toBe(`gpujs-${c.mode}`);
      const w = b.fromArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
      const opt = muon(b, { w }, { lr: 0.5 });
      const stepped = opt.step({ w: b.fromArray(Float32Array.from([1, 0, 0, 0, 1, 0]), [2, 3]) });
      expect(stepped instanceof Promise).toBe(c.mode === 'webgpu');
      await stepped;
      expect(opt.stepCount).toBe(1);
      b.destroy();
    });
  }

  // The page modes run in the browser test (browser/pages/gpujs.ts); Node has no page to draw on.
  it.each(['webgl', 'webgl2'] as const)('%s outside a page: probeMode says why, and nothing is left behind', async (mode) => {
    const probe = await probeMode(mode);
    expect(probe).toMatchObject({ mode, available: false });
    expect(probe.reason).toMatch(new RegExp(mode));
  });

  it('refuses an unknown mode and lossy precision', () => {
    expect(() => createGpujsBackend({ mode: 'gl' as GpujsMode })).toThrow(/mode must be/);
    expect(() => createGpujsBackend({ precision: 'unsigned' as 'single' })).toThrow(/precision/);
  });
});

describe('isTensor and the optimizer', () => {
  it('accepts only live tensors of the same backend instance', () => {
    const b = createGpujsBackend({ mode: 'cpu' });
    const other = createGpujsBackend({ mode: 'cpu' });
    const ref = createReferenceBackend();
    const mine = b.fromArray(new Float32Array(12), [4, 3]);
    const theirs = other.fromArray(new Float32Array(12), [4, 3]);
    const gone = b.fromArray(new Float32Array(12), [4, 3]);
    b.dispose(gone);
    expect(mine).toBeInstanceOf(GpujsTensor);
    expect(b.isTensor(mine)).toBe(true);
    expect(b.isTensor(b.reshape(mine, [12]))).toBe(true);
    expect(b.isTensor(theirs)).toBe(false);
    expect(other.isTensor(theirs)).toBe(true);
    expect(b.isTensor(gone)).toBe(false);
    expect(b.isTensor(ref.fromArray(new Float32Array(12), [4, 3]))).toBe(false);
    // a look-alike with the same public fields is no tensor
    expect(b.isTensor({ shape: [4, 3], size: 12 })).toBe(false);
    expect(b.isTensor(Object.create(GpujsTensor.prototype))).toBe(false);
    b.destroy();
    other.destroy();
  });

  it('the optimizer refuses foreign, other-instance and disposed tensors with an LmoError, changing nothing', async () => {
    const b = createGpujsBackend({ mode: 'cpu' });
    const other = createGpujsBackend({ mode: 'cpu' });
    const ref = createReferenceBackend();
    const init = Float32Array.from({ length: 12 }, (_, i) => i / 10);
    const w = b.fromArray(init, [4, 3]);
    const g = (): Float32Array => Float32Array.from({ length: 12 }, (_, i) => Math.cos(i));
    for (const bad of [other.fromArray(g(), [4, 3]), ref.fromArray(g(), [4, 3])]) {
      const e = await caught(() => muon(b, { w: bad as unknown as GpujsTensor }, { lr: 0.1 }));
      expect(e).toBeInstanceOf(LmoError);
      expect((e as LmoError).code).toBe('BACKEND');
    }
    const opt = muon(b, { w }, { lr: 0.1 });
    const disposed = b.fromArray(g(), [4, 3]);
    b.dispose(disposed);
    const bads: Array<[string, unknown]> = [
      ['another backend instance', other.fromArray(g(), [4, 3])],
      ['the reference backend', ref.fromArray(g(), [4, 3])],
      ['a disposed tensor', disposed],
      ['a Float32Array', g()],
    ];
    for (const [what, bad] of bads) {
      const e = await caught(() => opt.step({ w: bad as GpujsTensor }));
      expect(e, what).toBeInstanceOf(LmoError);
      expect((e as LmoError).code, what).toBe('BACKEND');
      expect((e as LmoError).message, what).toMatch(/not a tensor of the gpujs-cpu backend/);
    }
    expect(opt.stepCount).toBe(0);
    expect(Array.from(b.read(w))).toEqual(Array.from(init));
    // the primitives refuse them too
    expect(() => b.scale(disposed, 2)).toThrow(/disposed/);
    expect(() => b.read(bads[0]![1] as GpujsTensor)).toThrow(/not a tensor of this backend/);
    expect(() => b.dispose(bads[0]![1] as GpujsTensor)).toThrow(/not a tensor of this backend/);
    b.dispose(disposed); // twice: nothing
    b.destroy();
    other.destroy();
  });
});

const TIMES2 = 'function (a) {\n  return a[this.thread.x] * 2.0;\n}';

type Kernel = (...args: unknown[]) => unknown;

for (const c of cases) {
  describe.skipIf(!c.available)(`adopt and deviceValue: gpujs ${c.mode}${c.available ? '' : ` (skipped: ${c.reason})`}`, () => {
    const host = c.mode === 'cpu' || c.mode === 'webasm';

    it('a kernel result on the shared gpu.js instance becomes a tensor, and a tensor feeds a kernel, without copies', async () => {
      const gpu = new GPU({ mode: c.mode } as ConstructorParameters<typeof GPU>[0]);
      const b = createGpujsBackend({ ...c.options, gpu });
      const times2 = (gpu as unknown as { createKernel(s: string, o: object): Kernel }).createKernel(TIMES2, {
        output: [6],
        pipeline: !host,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
      });
      const input = Float32Array.from([1, -2, 3.5, 0, 5, -6]);
      const before = b.stats().liveValues;
      const made = (await times2(input)) as DeviceValue;
      const t = b.adopt(made, [2, 3]);
      expect(b.isTensor(t)).toBe(true);
      expect(b.shape(t)).toEqual([2, 3]);
      expect(b.stats().liveValues).toBe(before + 1);
      expect(Array.from(await b.read(t))).toEqual([2, -4, 7, 0, 10, -12]);
      // the backend computes on it like on any tensor
      const out = b.zerosLike(t);
      await b.run(() => b.assign(out, b.addScalar(t, 1)));
      expect(Array.from(await b.read(out))).toEqual([3, -3, 8, 1, 11, -11]);
      // its device value is the adopted value itself, and feeds a kernel
      expect(b.deviceValue(t)).toBe(made);
      const again = (await times2(b.deviceValue(out))) as DeviceValue;
      const values = again instanceof Float32Array ? again : ((await again.toArray()) as Float32Array);
      expect(Array.from(values)).toEqual([6, -6, 16, 2, 22, -22]);
      if (!(again instanceof Float32Array)) again.delete();
      b.dispose(t);
      b.dispose(out);
      expect(b.stats().liveValues).toBe(before);
      b.destroy();
    });

    it('deviceValue follows assigns (in place on the host) and refuses what it must', async () => {
      const b = createGpujsBackend(c.options);
      const w = b.fromArray(Float32Array.from([1, 2, 3, 4]), [2, 2]);
      if (b.mode === 'async') {
        // webgpu uploads in call order too: nothing is computed before the queue reaches it
        expect(() => b.deviceValue(w)).toThrow(/not been computed yet/);
        await b.run(() => {});
      }
      const v0 = b.deviceValue(w);
      await b.run(() => b.assign(w, b.scale(w, 3)));
      const v1 = b.deviceValue(w);
      if (host) {
        expect(v1).toBe(v0);
        expect(Array.from(v1 as Float32Array)).toEqual([3, 6, 9, 12]);
        // writing into the host array writes the tensor
        (v1 as Float32Array)[0] = -1;
        expect(Array.from(await b.read(w))).toEqual([-1, 6, 9, 12]);
      } else {
        expect(v1).not.toBe(v0); // replaced by a new value; the old one was freed
        expect(b.stats().liveValues).toBe(1);
      }
      const e1 = await caught(() => b.adopt(host ? new Float32Array(5) : (new Float32Array(4) as DeviceValue), [2, 2]));
      expect(e1).toBeInstanceOf(LmoError);
      expect((e1 as LmoError).code).toBe(host ? 'SHAPE_MISMATCH' : 'BACKEND');
      const e2 = await caught(() => b.adopt([1, 2, 3, 4] as unknown as DeviceValue, [2, 2]));
      expect((e2 as LmoError).code).toBe('BACKEND');
      b.dispose(w);
      expect(() => b.deviceValue(w)).toThrow(/disposed/);
      expect(b.stats().liveValues).toBe(0);
      b.destroy();
    });
  });
}

/** `y = a·x + b` on a length-n vector, written per output element. */
const AXPB = 'function (x, a, b) {\n  return a * x[this.thread.x] + b;\n}';

for (const c of cases) {
  describe.skipIf(!c.available)(`kernel(): your own kernel on the backend's tensors, gpujs ${c.mode}${c.available ? '' : ` (skipped: ${c.reason})`}`, () => {
    it('computes from tensors and numbers into a new tensor of the shape given, compiled once per key, read and freed like any', async () => {
      const b = createGpujsBackend(c.options);
      const x = b.fromArray(Float32Array.from([1, -2, 3.5, 0, 5, -6]), [2, 3]);
      const kernels = b.stats().kernels;
      const y = b.kernel('axpb', [3, 2], () => AXPB, [x, 2, 1]);
      expect(b.shape(y)).toEqual([3, 2]);
      expect(Array.from(await b.read(y))).toEqual([3, -3, 8, 1, 11, -11]);
      // a second launch with other numbers reuses the compiled kernel; results feed the primitives and other kernels
      const z = b.kernel('axpb', [6], () => AXPB, [y, -1, 0.5]);
      const w = b.zerosLike(x);
      await b.run(() => b.assign(w, b.add(x, b.reshape(z, [2, 3]))));
      expect(Array.from(await b.read(w))).toEqual([-1.5, 1.5, -4, -0.5, -5.5, 5.5]);
      expect(b.stats().kernels - kernels).toBeGreaterThanOrEqual(1);
      const compiled = b.stats().kernels;
      b.dispose(b.kernel('axpb', [6], () => AXPB, [x, 0, 0]));
      expect(b.stats().kernels).toBe(compiled);
      for (const t of [x, y, z, w]) b.dispose(t);
      await b.run(() => {}); // webgpu frees in call order
      expect(b.stats()).toMatchObject({ liveTensors: 0, liveValues: 0 });
      // a tensor of another backend is refused, naming the input
      const other = createGpujsBackend(c.options);
      const foreign = other.fromArray(new Float32Array(6), [6]);
      const e = await caught(() => b.kernel('axpb', [6], () => AXPB, [foreign, 1, 0]));
      expect(e).toBeInstanceOf(LmoError);
      expect((e as LmoError).message).toMatch(/kernel\(inputs\[0\]\) is not a tensor of this backend/);
      other.destroy();
      b.destroy();
    });
  });
}

for (const c of cases) {
  describe.skipIf(!c.available)(`memory inside scopes: gpujs ${c.mode}${c.available ? '' : ` (skipped: ${c.reason})`}`, () => {
    it('a tensor disposed inside the run that reads it, and one made in a run that throws, behave', async () => {
      const b = createGpujsBackend(c.options);
      const p = b.fromArray(new Float32Array(6), [2, 3]);
      const g = b.fromArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
      await b.run(() => {
        b.assign(p, b.scale(g, 2));
        b.dispose(g); // the scope still reads it: freed only once nothing can
      });
      expect(Array.from(await b.read(p))).toEqual([2, 4, 6, 8, 10, 12]);
      let made: GpujsTensor | undefined;
      const failed = Promise.resolve().then(() =>
        b.run(() => {
          made = b.fromArray(Float32Array.from([7, 8]), [2]);
          throw new Error('after fromArray');
        }),
      );
      await expect(failed).rejects.toThrow('after fromArray');
      // a persistent tensor made in a failed scope still holds its data
      expect(Array.from(await b.read(made!))).toEqual([7, 8]);
      b.dispose(made!);
      b.dispose(p);
      await b.run(() => {}); // webgpu frees in call order
      expect(b.stats()).toMatchObject({ liveTensors: 0, liveValues: 0 });
      b.destroy();
    });
  });
}

// Overlapping calls on the asynchronous mode are carried out in call order: un-awaited steps, an
// assign and a read issued together give what the same calls awaited one by one give.
const webgpu = cases.find((c) => c.mode === 'webgpu');
describe.skipIf(webgpu?.available !== true)(`call order: gpujs webgpu${webgpu?.available ? '' : ' (skipped: no adapter)'}`, () => {
  it('un-awaited steps, assigns and reads equal awaited ones', async () => {
    const run = async (awaited: boolean): Promise<number[][]> => {
      const b = createGpujsBackend(webgpu!.options) as GpujsBackend<'async'>;
      const w = b.fromArray(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [4, 3]);
      const g = b.fromArray(Float32Array.from({ length: 12 }, (_, i) => Math.cos(3 * i)), [4, 3]);
      const opt = muon(b, { w }, { lr: 0.1 });
      const issued: Array<Promise<unknown>> = [];
      const call = async (f: () => Promise<unknown>): Promise<void> => {
        const p = f();
        issued.push(p);
        if (awaited) await p;
      };
      await call(() => opt.step({ w: g }));
      const first = b.read(w);
      await call(() => first);
      await call(() => opt.step({ w: g }));
      b.assign(g, b.fromArray(new Float32Array(12).fill(0.5), [4, 3]));
      await call(() => opt.step({ w: g }));
      const last = b.read(w);
      await Promise.all(issued);
      const out = [Array.from(await first), Array.from(await last)];
      expect(opt.stepCount).toBe(3);
      b.destroy();
      return out;
    };
    const sequential = await run(true);
    const overlapped = await run(false);
    expect(overlapped).toEqual(sequential);
    expect(sequential[0]).not.toEqual(sequential[1]);
  });
});

describe('kernelSettings', () => {
  it('keeps results on the device exactly in the device modes, always in float32', () => {
    for (const mode of ['cpu', 'webasm', 'headlessgl', 'webgl', 'webgl2', 'webgpu'] as const) {
      expect(kernelSettings(mode, 6)).toEqual({
        output: [6],
        pipeline: mode !== 'cpu' && mode !== 'webasm',
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: false,
        dynamicArguments: false,
      });
    }
  });

  it('refuses an unknown mode and a size that is not a positive integer', () => {
    expect(() => kernelSettings('gl' as GpujsMode, 4)).toThrow(/mode must be one of 'cpu'/);
    for (const size of [0, -1, 1.5, NaN, Infinity]) expect(() => kernelSettings('cpu', size)).toThrow(/size must be a positive integer, got/);
  });

  it('compiles a kernel whose result the backend adopts as it is', () => {
    const gpu = new GPU({ mode: 'cpu' });
    const b = createGpujsBackend({ mode: 'cpu', gpu });
    const double = gpu.createKernel(function (x: number[]) {
      return 2 * x[this.thread.x]!;
    }, kernelSettings('cpu', 6));
    const x = b.fromArray(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    const y = b.adopt(double(b.deviceValue(x)) as Float32Array, [2, 3]);
    expect(Array.from(b.read(y))).toEqual([2, 4, 6, 8, 10, 12]);
    b.destroy();
  });
});

