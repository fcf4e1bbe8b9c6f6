// The training's storage: the command-line names, the optimizer options they become, and the
// conversion of a checkpoint to another storage, against values rounded here from the definition
// (bfloat16: 8 significant bits, float16: 11, to nearest, ties to even).
import { STATE_FORMAT, STATE_VERSION, stateFromJSON, stateToJSON } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { convertSaved, parseCompensation, parseDtype, storageOptions, trainStorage, type TrainStorage } from '../src/optim/storage.js';

/** `x` to `bits` significant bits, to nearest, ties to even (normal numbers), in float64. */
function round(x: number, bits: number): number {
  if (x === 0) return x;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(x))) - (bits - 1));
  const q = x / ulp;
  const f = Math.floor(q);
  const r = q - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(q);
  return r * ulp;
}
const BITS = { bfloat16: 8, float16: 11 } as const;

/** A state of one parameter `w` [4] with `buffers` (float32 unless `dtypes` says). */
function state(buffers: Record<string, number[]>, dtypes?: Record<string, string>): unknown {
  return stateToJSON({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    step: 7,
    parameters: [{ name: 'w', shape: [4], group: 'hidden', buffers: Object.fromEntries(Object.entries(buffers).map(([k, v]) => [k, Float32Array.from(v)])), ...(dtypes ? { dtypes } : {}) }],
  } as never);
}
const param = (s: unknown): { buffers?: Record<string, Float32Array>; dtypes?: Record<string, string> } => stateFromJSON(s).parameters[0] as never;

describe('names and options', () => {
  it('--dtype takes the dtypes and their short names; --compensation its three; compensation needs 16 bits', () => {
    expect(['float32', 'fp32', 'bfloat16', 'bf16', 'BF16', 'float16', 'fp16'].map(parseDtype)).toEqual(['float32', 'float32', 'bfloat16', 'bfloat16', 'bfloat16', 'float16', 'float16']);
    expect(() => parseDtype('int8')).toThrow('expected a dtype: float32, bfloat16, float16 (or bf16, fp16), got "int8"');
    expect(['none', 'kahan', 'stochastic'].map(parseCompensation)).toEqual(['none', 'kahan', 'stochastic']);
    expect(() => parseCompensation('sr')).toThrow('expected a compensation: none, kahan, stochastic, got "sr"');
    expect(trainStorage()).toEqual({ dtype: 'float32', compensation: 'none' });
    expect(() => trainStorage('float32', 'stochastic')).toThrow(/^--compensation stochastic is for 16-bit weights/);
  });

  it("become core's options: nothing for float32 (the optimizer it always was), the buffers' dtype and the compensation otherwise", () => {
    expect(storageOptions({ dtype: 'float32', compensation: 'none' }, 1337)).toEqual({});
    expect(storageOptions({ dtype: 'bfloat16', compensation: 'none' }, 1337)).toEqual({ bufferDtype: 'bfloat16' });
    expect(storageOptions({ dtype: 'bfloat16', compensation: 'kahan' }, 1337)).toEqual({ bufferDtype: 'bfloat16', compensation: 'kahan' });
    expect(storageOptions({ dtype: 'float16', compensation: 'stochastic' }, 1339)).toEqual({ bufferDtype: 'float16', compensation: 'stochastic', roundingSeed: 1339 });
  });
});

describe('convertSaved: a checkpoint continued under another storage', () => {
  const x = [1, -0.3, 2.5e-3, 100.7];
  const g = [0.1, -1e-3, 7.123, 3.3e-4]; // normal numbers in float16 too

  it('widening to float32 is exact: the same values, no dtypes', () => {
    const bf = (v: number[]): number[] => v.map((a) => round(a, 8));
    const out = convertSaved({ w: Float32Array.from(bf(x)) }, state({ gradient: bf(g) }, { gradient: 'bfloat16' }), { dtype: 'float32', compensation: 'none' });
    expect(Array.from(out.weights['w']!)).toEqual(bf(x).map(Math.fround));
    expect(Array.from(param(out.state).buffers!['gradient']!)).toEqual(bf(g).map(Math.fround));
    expect(param(out.state).dtypes).toBeUndefined();
    expect(stateFromJSON(out.state).step).toBe(7);
  });

  it.each(['bfloat16', 'float16'] as const)('narrowing to %s rounds weights and buffers to nearest even', (dtype) => {
    const out = convertSaved({ w: Float32Array.from(x) }, state({ momentum: g }), { dtype, compensation: 'none' });
    expect(Array.from(out.weights['w']!)).toEqual(x.map((a) => round(Math.fround(a), BITS[dtype])));
    expect(Array.from(param(out.state).buffers!['momentum']!)).toEqual(g.map((a) => round(Math.fround(a), BITS[dtype])));
    expect(param(out.state).dtypes).toEqual({ momentum: dtype });
  });

  it('Kahan: the weights are x + c; dropping c folds it in, keeping it splits x + c again into round(x + c) and the rest', () => {
    const xs = [1, 1.5, -2, 0.75];
    const cs = [2 ** -12, -(2 ** -11), 2 ** -10 + 2 ** -14, 0];
    const w = xs.map((a, i) => a + cs[i]!); // exact in float32
    const saved = state({ gradient: g, compensation: cs }, { gradient: 'bfloat16', compensation: 'bfloat16' });
    const from = { w: Float32Array.from(xs) };
    const to = (s: TrainStorage): ReturnType<typeof convertSaved> => convertSaved(from, saved, s);

    const f32 = to({ dtype: 'float32', compensation: 'none' });
    expect(Array.from(f32.weights['w']!)).toEqual(w);
    expect(Object.keys(param(f32.state).buffers!)).toEqual(['gradient']);

    const plain = to({ dtype: 'bfloat16', compensation: 'none' });
    expect(Array.from(plain.weights['w']!)).toEqual(w.map((a) => round(a, 8)));

    const fp16 = to({ dtype: 'float16', compensation: 'kahan' });
    const hi = w.map((a) => round(a, 11));
    expect(Array.from(fp16.weights['w']!)).toEqual(hi);
    expect(Array.from(param(fp16.state).buffers!['compensation']!)).toEqual(w.map((a, i) => round(a - hi[i]!, 11)));
    expect(param(fp16.state).dtypes).toEqual({ gradient: 'float16', compensation: 'float16' });
  });
});
