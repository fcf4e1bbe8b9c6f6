// 16-bit storage on onnxruntime: the conformance suite's storage checks on onnxruntime-web (its wasm
// build, in Node; onnxruntime-node runs the whole suite in conformance.test.ts), and the optimizer
// with bfloat16 and float16 weights and buffers: compensated updates against float64, the graphs'
// opsets, sessions that stay flat, states, and AdamW's host pass over 16-bit parameters.
import { describe, expect, it } from 'vitest';
import { adamw, scionLight, signSGD, signUnscaled, spectral, type StorageDtype } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { conformanceCheckIds } from '@lmo/core/testing';
import { describeBackendConformance } from '@lmo/core/testing/vitest';
import { onnxBackend, type OnnxTensor } from '../src/index.js';
import { onnxBackend as webBackend } from '../src/web.js';

const notStorage = Object.fromEntries(
  [...new Set(conformanceCheckIds().map((id) => id.slice(0, id.indexOf('.'))))].filter((g) => g !== 'storage').map((g) => [g, 'onnxruntime-node runs the whole suite; here only the storage checks']),
);
describeBackendConformance('onnxruntime-web (wasm, in Node): 16-bit storage', () => webBackend(), { skip: notStorage, timeout: 30_000 });

/** `n` values in [1, 2) and fixed signs, from a seed (a small LCG: the same on every run). */
function start(n: number): { x0: Float32Array; signs: Float32Array } {
  let s = 12345;
  const next = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { x0: Float32Array.from({ length: n }, () => 1 + next()), signs: Float32Array.from({ length: n }, () => (next() < 0.5 ? -1 : 1)) };
}

describe('the optimizer on onnxruntime with 16-bit weights', () => {
  it('signSGD with γ below half of bfloat16’s last bit: plain bfloat16 stalls; Kahan-compensated bfloat16 follows float64', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const [n, steps, lr] = [32, 300, 1e-3];
    const { x0, signs } = start(n);
    const g = b.fromArray(signs, [n]);
    const end: Record<string, { x: Float32Array; held: Float64Array }> = {};
    for (const [label, dtype, compensation] of [
      ['float32', 'float32', undefined],
      ['bfloat16', 'bfloat16', undefined],
      ['bfloat16 kahan', 'bfloat16', 'kahan'],
    ] as const) {
      const w = b.fromArray(x0, [n], dtype);
      const opt = signSGD(b, { w }, { lr, ...(compensation !== undefined ? { compensation } : {}) });
      for (let k = 0; k < steps; k++) await opt.step({ w: g });
      const x = await b.read(w);
      const c = (await opt.getState()).parameters[0]!.buffers?.compensation;
      end[label] = { x, held: Float64Array.from(x, (v, i) => v + (c?.[i] ?? 0)) };
    }
    const start16 = await b.read(b.fromArray(x0, [n], 'bfloat16'));
    const x64 = (from: ArrayLike<number>): Float64Array => Float64Array.from(from, (v, i) => v - steps * lr * signs[i]!);
    const worst = (got: ArrayLike<number>, want: Float64Array): number => want.reduce((m, w, i) => Math.max(m, Math.abs(got[i]! - w)), 0);
    expect(worst(end['float32']!.x, x64(x0))).toBeLessThan(1e-4);
    expect(Array.from(end['bfloat16']!.x)).toEqual(Array.from(start16)); // every update lost
    // within 1% of the distance travelled (0.3): see the core test for the bound
    expect(worst(end['bfloat16 kahan']!.held, x64(start16))).toBeLessThan(0.003);
    await b.close();
  });

  it('ScionLight with bfloat16 weights and G: the same steps as the reference backend, and one session however many steps', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const init = Float32Array.from({ length: 16 * 8 }, (_, i) => Math.sin(i) / 4);
    const grad = (k: number): Float32Array => Float32Array.from({ length: 16 * 8 }, (_, i) => Math.cos(i * (k + 1)));
    const results: Float32Array[] = [];
    for (const backend of [b, referenceBackend] as const) {
      const be = backend as typeof referenceBackend;
      const w = be.fromArray(init, [16, 8], 'bfloat16');
      const opt = scionLight(be, { w }, { lr: 0.01, norm: spectral(), bufferDtype: 'bfloat16', compensation: 'kahan' });
      for (let k = 0; k < 5; k++) await opt.step({ w: be.fromArray(grad(k), [16, 8]) });
      results.push(await be.read(w));
    }
    const [onnx, ref] = results as [Float32Array, Float32Array];
    // float32 arithmetic that differs in its last bits may round a weight to a neighbouring bfloat16
    // value: at most one bfloat16 ulp (2⁻⁸ relative) apart, and nearly all equal
    let equal = 0;
    ref.forEach((r, i) => {
      expect(Math.abs(onnx[i]! - r)).toBeLessThanOrEqual(Math.abs(r) * 2 ** -7 + 1e-6);
      if (onnx[i] === r) equal++;
    });
    expect(equal).toBeGreaterThan(ref.length * 0.9);
    const sessions = b.stats.sessionsCreated;
    const w = b.fromArray(init, [16, 8], 'bfloat16');
    const opt = scionLight(b, { w }, { lr: 0.01, norm: spectral(), bufferDtype: 'bfloat16', compensation: 'kahan' });
    const g = b.fromArray(grad(0), [16, 8]);
    await opt.step({ w: g });
    const after = b.stats.sessionsCreated;
    for (let k = 0; k < 50; k++) await opt.step({ w: g });
    expect(b.stats.sessionsCreated).toBe(after);
    expect(after - sessions).toBeLessThanOrEqual(1);
    await b.close();
  });

  it('stochastic rounding of weights of any rank (a vector is updated as a 1×n matrix): seeded, every weight a bfloat16 value, near float32', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const shapes = { w: [8, 6], gain: [6], k: [2, 3, 4] } as const;
    const init = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => 1 + Math.sin(i) / 4);
    const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
    const run = async (dtype: StorageDtype, seed: number): Promise<Float32Array[]> => {
      const params = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, b.fromArray(init(size(s)), [...s], dtype)]));
      const opt = signSGD(b, params, { lr: 1e-3, ...(dtype === 'float32' ? {} : { compensation: 'stochastic' as const, roundingSeed: seed }) });
      const grads = Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, b.fromArray(Float32Array.from({ length: size(s) }, (_, i) => Math.cos(i)), [...s])]));
      for (let k = 0; k < 20; k++) await opt.step(grads);
      return Promise.all(Object.keys(shapes).map((n) => b.read(params[n]!)));
    };
    const [wide, once, again] = [await run('float32', 0), await run('bfloat16', 7), await run('bfloat16', 7)];
    once.forEach((x, p) => {
      expect(Array.from(x)).toEqual(Array.from(again[p]!));
      x.forEach((v, i) => {
        expect(new Uint32Array(Float32Array.of(v).buffer)[0]! & 0xffff).toBe(0);
        expect(Math.abs(v - wide[p]![i]!)).toBeLessThan(0.03);
      });
    });
    await b.close();
  });

  it('a state of bfloat16 buffers round-trips on onnxruntime and loads on the reference backend', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const w = b.fromArray(Float32Array.from({ length: 12 }, (_, i) => i / 7), [3, 4], 'float16');
    const opt = scionLight(b, { w }, { lr: 0.01, norm: signUnscaled(), bufferDtype: 'bfloat16', compensation: 'kahan' });
    await opt.step({ w: b.fromArray(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]) });
    const state = await opt.getState();
    expect(state.parameters[0]!.dtypes).toEqual({ gradient: 'bfloat16', compensation: 'float16' });
    await opt.loadState(state);
    expect(await opt.getState()).toEqual(state);
    const rw = referenceBackend.fromArray(new Float32Array(12), [3, 4], 'float16');
    const ref = scionLight(referenceBackend, { w: rw }, { lr: 0.01, norm: signUnscaled(), bufferDtype: 'bfloat16', compensation: 'kahan' });
    ref.loadState(state);
    expect(ref.getState()).toEqual(state);
    await b.close();
  });

  it('AdamW’s host pass updates bfloat16 parameters (rounded as an assign rounds) like the reference backend does', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const init = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
    const results: Float32Array[] = [];
    for (const backend of [b, referenceBackend] as const) {
      const be = backend as typeof referenceBackend;
      const w = be.fromArray(init, [4, 6], 'bfloat16');
      const opt = adamw(be, { w }, { lr: 0.05 });
      for (let k = 0; k < 3; k++) await opt.step({ w: be.fromArray(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i + k)), [4, 6]) });
      results.push(await be.read(w));
      expect(be.storage!.dtype(w)).toBe('bfloat16');
    }
    const [onnx, ref] = results as [Float32Array, Float32Array];
    ref.forEach((r, i) => expect(Math.abs(onnx[i]! - r)).toBeLessThanOrEqual(Math.abs(r) * 2 ** -7 + 1e-6));
    await b.close();
  });

  it.each(['bfloat16', 'float16'] as StorageDtype[])('%s tensors: stored() hands out their own bits, arrays() and read() float32 values', async (dtype) => {
    const b = onnxBackend();
    const x = b.fromArray(Float32Array.of(1, -2.5, 3.140625), [3], dtype);
    const [stored] = await b.stored([x as OnnxTensor]);
    expect(stored!.dtype).toBe(dtype);
    expect(stored!.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(await b.read(x))).toEqual([1, -2.5, 3.140625]);
    expect(Array.from((await b.arrays([x]))[0]!)).toEqual([1, -2.5, 3.140625]);
    await b.close();
  });
});

describe('16-bit storage only where the execution provider computes it right', () => {
  it('cpu and wasm store bfloat16 and float16; webgpu (its bfloat16 casts compute wrong values) stores float32 alone and refuses 16-bit with BACKEND, naming the provider', async () => {
    expect(onnxBackend().storage.dtypes).toEqual(['float32', 'bfloat16', 'float16']);
    expect(webBackend({ executionProviders: ['wasm'] }).storage.dtypes).toEqual(['float32', 'bfloat16', 'float16']);
    for (const providers of [['webgpu'], ['webgpu', 'wasm']]) {
      const b = webBackend({ executionProviders: providers });
      expect(b.storage.dtypes).toEqual(['float32']);
      const x = b.fromArray(new Float32Array([1, 2]), [1, 2]);
      for (const dtype of ['bfloat16', 'float16'] as const) {
        const refusal = new RegExp(`this backend \\(${providers.join('\\+')}\\) stores "float32" only, not "${dtype}"`);
        expect(() => b.fromArray(new Float32Array([1, 2]), [1, 2], dtype)).toThrow(expect.objectContaining({ code: 'BACKEND', message: expect.stringMatching(refusal) }));
        expect(() => b.zerosLike(x, dtype)).toThrow(expect.objectContaining({ code: 'BACKEND' }));
        expect(() => b.adopt(new Uint16Array(2), [1, 2], dtype)).toThrow(expect.objectContaining({ code: 'BACKEND' }));
        expect(() => b.storage.round(x, dtype)).toThrow(expect.objectContaining({ code: 'BACKEND' }));
        expect(() => scionLight(b, { w: x }, { lr: 0.1, norm: spectral(), bufferDtype: dtype })).toThrow(expect.objectContaining({ code: 'BACKEND', message: expect.stringMatching(new RegExp(dtype)) }));
      }
      expect(() => scionLight(b, { w: x }, { lr: 0.1, norm: spectral() }).dispose()).not.toThrow();
      await b.close();
    }
  });
});
