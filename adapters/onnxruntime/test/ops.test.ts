import { afterAll, describe, expect, it, vi } from 'vitest';
import * as ort from 'onnxruntime-node';
import { onnxBackend, type OnnxTensor } from '../src/index.js';

const b = onnxBackend({ intraOpNumThreads: 1 });
/** onnxruntime's session class (typed as a factory), to spy on `run`/`release`. */
const sessionPrototype = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
afterAll(() => b.close());

const t = (values: number[], shape: number[]): OnnxTensor => b.fromArray(Float32Array.from(values), shape);
const read = async (x: OnnxTensor): Promise<number[]> => Array.from(await b.read(x));

describe('onnxruntime backend: primitives', () => {
  const x = t([1, -2, 3, -4, 0, 6], [2, 3]);

  it('reads persistent tensors as copies, always through a Promise (in call order)', async () => {
    const pending = b.read(x);
    expect(pending).toBeInstanceOf(Promise);
    const values = await pending;
    expect(values).toBeInstanceOf(Float32Array);
    values[0] = 99;
    expect(Array.from(await b.read(x))).toEqual([1, -2, 3, -4, 0, 6]);
  });

  it('elementwise ops and broadcasting', async () => {
    const y = t([1, 1, 1, 2, 2, 2], [2, 3]);
    expect(await read(b.add(x, y))).toEqual([2, -1, 4, -2, 2, 8]);
    expect(await read(b.sub(x, y))).toEqual([0, -3, 2, -6, -2, 4]);
    expect(await read(b.mul(x, t([2, 3], [2, 1])))).toEqual([2, -4, 6, -12, 0, 18]);
    expect(await read(b.mul(x, t([1, 0, -1], [1, 3])))).toEqual([1, -0, -3, -4, 0, -6]);
    expect(await read(b.div(x, t([2], [1, 1])))).toEqual([0.5, -1, 1.5, -2, 0, 3]);
    expect(await read(b.scale(x, 0.5))).toEqual([0.5, -1, 1.5, -2, 0, 3]);
    expect(await read(b.addScalar(x, 1))).toEqual([2, -1, 4, -3, 1, 7]);
    expect(await read(b.axpby(2, x, -1, y))).toEqual([1, -5, 5, -10, -2, 10]);
    expect(await read(b.sign(t([3, 0, -2, NaN], [2, 2])))).toEqual([1, 0, -1, NaN]);
    expect(await read(b.sqrt(t([4, 9], [1, 2])))).toEqual([2, 3]);
    expect(await read(b.abs(x))).toEqual([1, 2, 3, 4, 0, 6]);
    expect(() => b.add(x, t([1, 2], [1, 2]))).toThrow(/add/);
    expect(() => b.mul(x, t([1, 2], [1, 2]))).toThrow(/broadcast/);
  });

  it('reductions keep dims', async () => {
    expect(b.shape(b.sumSquares(x))).toEqual([1, 1]);
    expect(await read(b.sumSquares(x))).toEqual([1 + 4 + 9 + 16 + 36]);
    expect(await read(b.sumSquares(x, 0))).toEqual([17, 4, 45]);
    expect(await read(b.sumSquares(x, 1))).toEqual([14, 52]);
    expect(b.shape(b.sumSquares(x, 1))).toEqual([2, 1]);
    expect(await read(b.maxAbs(x))).toEqual([6]);
    expect(await read(b.maxAbs(t([1, NaN, -7, 2], [2, 2])))).toEqual([NaN]);
    expect(await read(b.maxAbs(t([1, -Infinity], [1, 2])))).toEqual([Infinity]);
    expect(await read(b.maxAbs(t([-Infinity, 3, Infinity], [3, 1])))).toEqual([Infinity]);
    expect(await read(b.maxAbs(t([Infinity, NaN], [1, 2])))).toEqual([NaN]);
    expect(await read(b.maxAbs(t([-9, -2, -0.5], [1, 3])))).toEqual([9]);
    expect(await read(b.maxAbs(t([-0, 0], [1, 2])))).toEqual([0]);
    expect(await read(b.maxAbs(t([3e38, -3e38], [2, 1])))).toEqual([Math.fround(3e38)]); // Σx² overflows to Inf, not NaN
  });

  it('matmul with transposes, transpose and reshape', async () => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await read(b.matmul(a, a, { transposeB: true }))).toEqual([14, 32, 32, 77]);
    expect(await read(b.matmul(a, a, { transposeA: true }))).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
    expect(await read(b.matmul(b.transpose(a), b.reshape(a, [2, 3])))).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
    expect(b.shape(b.transpose(a))).toEqual([3, 2]);
    expect(await read(b.transpose(a))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(await read(b.reshape(b.scale(a, 1), [3, 2]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => b.reshape(a, [3, -1])).toThrow(/invalid shape/);
    expect(() => b.scale(b.reshape(a, [6]), 2)).toThrow(/2-D/);
    expect(b.shape(b.reshape(a, [6]))).toEqual([6]);
    expect(() => b.matmul(a, a)).toThrow(/inner/);
  });

  it('any rank for data: 0-D, 1-D, 3-D', async () => {
    const s = t([5], []);
    expect(b.shape(s)).toEqual([]);
    const z = b.zerosLike(s);
    await b.run(() => b.assign(z, b.reshape(b.scale(b.reshape(s, [1, 1]), 2), [])));
    expect(await read(z)).toEqual([10]);
    const v = t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(await read(b.reshape(b.scale(b.reshape(v, [2, 4]), 2), [2, 2, 2]))).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });

  it('allFinite on CPU data and on lazy nodes', async () => {
    expect(await b.allFinite([x])).toBe(true);
    expect(await b.allFinite([x, t([1, NaN], [1, 2])])).toBe(false);
    expect(await b.allFinite([b.div(x, t([0], [1, 1]))])).toBe(false);
    expect(await b.allFinite([b.scale(x, 2)])).toBe(true);
  });

  it('assign writes only after run, with eager semantics for earlier snapshots', async () => {
    const p = t([1, 2], [1, 2]);
    const before = b.scale(p, 1); // captures p = [1, 2]
    const promise = b.run(() => {
      b.assign(p, b.scale(p, 10));
      // after the assign, p reads as its new value inside the scope
      const again = b.add(p, p);
      expect(b.shape(again)).toEqual([1, 2]);
    });
    expect(promise).toBeInstanceOf(Promise);
    await promise;
    expect(await read(p)).toEqual([10, 20]);
    expect(await read(before)).toEqual([1, 2]);
  });

  it('an assign outside run is applied by the next read', async () => {
    const p = t([1, 2], [1, 2]);
    b.assign(p, b.addScalar(p, 1));
    expect(await read(p)).toEqual([2, 3]);
  });

  it('a throwing fn assigns nothing', async () => {
    const p = t([1, 2], [1, 2]);
    await expect(
      b.run(() => {
        b.assign(p, b.scale(p, 3));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await read(p)).toEqual([1, 2]);
  });

  it('a failed graph run assigns nothing', async () => {
    const p = t([1, 2], [1, 2]);
    const q = t([3, 4], [1, 2]);
    const spy = vi.spyOn(sessionPrototype, 'run').mockRejectedValueOnce(new Error('device lost'));
    await expect(
      b.run(() => {
        b.assign(p, b.scale(p, 3));
        b.assign(q, b.scale(q, 3));
      }),
    ).rejects.toThrow(/device lost/);
    spy.mockRestore();
    expect(await read(p)).toEqual([1, 2]);
    expect(await read(q)).toEqual([3, 4]);
    await b.run(() => b.assign(p, b.scale(p, 3)));
    expect(await read(p)).toEqual([3, 6]);
  });

  it('compiles once per structure, not per number', async () => {
    const p = t([1, 2, 3, 4], [2, 2]);
    await b.run(() => b.assign(p, b.addScalar(b.scale(p, 0.5), 1)));
    const created = b.stats.sessionsCreated;
    for (let i = 0; i < 50; i++) await b.run(() => b.assign(p, b.addScalar(b.scale(p, Math.cos(i)), i)));
    expect(b.stats.sessionsCreated).toBe(created);
  });

  it('dispose() releases every session', async () => {
    const own = onnxBackend();
    const p = own.fromArray(new Float32Array(4), [2, 2]);
    await own.run(() => own.assign(p, own.addScalar(p, 1)));
    await own.run(() => own.assign(p, own.sqrt(own.addScalar(p, 1))));
    expect(own.stats.sessionsCreated).toBe(2);
    expect(own.sessionCount).toBe(2);
    await own.close();
    expect(own.stats.sessionsReleased).toBe(2);
    expect(own.sessionCount).toBe(0);
  });
});

describe('onnxruntime backend: lifecycle', () => {
  it('dispose() without argument calls release() on every session', async () => {
    const own = onnxBackend();
    const p = own.fromArray(new Float32Array(4), [2, 2]);
    await own.run(() => own.assign(p, own.addScalar(p, 1)));
    await own.run(() => own.assign(p, own.abs(own.addScalar(p, 1))));
    const release = vi.spyOn(sessionPrototype, 'release');
    own.dispose();
    await vi.waitFor(() => expect(own.stats.sessionsReleased).toBe(2));
    expect(release).toHaveBeenCalledTimes(2);
    release.mockRestore();
    // still usable: compiles again
    await own.run(() => own.assign(p, own.addScalar(p, 1)));
    expect(own.stats.sessionsCreated).toBe(3);
    expect(Array.from(await own.read(p))).toEqual([3, 3, 3, 3]);
    await own.close();
  });
});
