/**
 * 16-bit storage (`storage`): what a backend declares, rounding to nearest with ties to even on
 * every path into 16-bit storage (`fromArray`, `assign` inside and outside `run`, `storage.round`),
 * 16-bit tensors as operands, and stochastic rounding. The expected values come from
 * {@link roundNearest64}, written here from the formats' definitions in float64, not from core's
 * conversions.
 */
import type { StorageDtype, TensorBackend } from '../../backend/contract.js';
import { sizeOf } from '../../shape.js';
import { check, expectExact } from '../assert.js';
import { randn, readValues } from '../harness.js';
import type { Check } from './common.js';

type Half = Exclude<StorageDtype, 'float32'>;

/** The 16-bit formats: significand bits `p` (the implicit one included) and exponent range. */
export const HALF_FORMATS: Readonly<Record<Half, { readonly p: number; readonly emin: number; readonly emax: number }>> = {
  bfloat16: { p: 8, emin: -126, emax: 127 },
  float16: { p: 11, emin: -14, emax: 15 },
};

/** `⌊log₂ a⌋` for `a > 0`, exactly. */
function exponent(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** The spacing of `dtype`'s values at `|x|` (constant below the smallest normal: the subnormals). */
export function spacing(a: number, dtype: Half): number {
  const { p, emin } = HALF_FORMATS[dtype];
  return 2 ** (Math.max(exponent(a), emin) - p + 1);
}

/** The largest finite value of `dtype`: `(2 − 2^(1−p))·2^emax`. */
export function largest(dtype: Half): number {
  const { p, emax } = HALF_FORMATS[dtype];
  return (2 - 2 ** (1 - p)) * 2 ** emax;
}

/**
 * `x` rounded to nearest, ties to even, to `dtype`'s values, in float64 from the definition: a
 * multiple `n·s` of the spacing `s` at `|x|`, `n` even on a tie; above the largest finite value
 * ±Inf; NaN, ±Inf and ±0 kept.
 */
export function roundNearest64(x: number, dtype: Half): number {
  if (x !== x || !Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  const s = spacing(a, dtype);
  const q = a / s; // exact: a float32 scaled by a power of two
  let n = Math.floor(q);
  const frac = q - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n++;
  const v = n * s > largest(dtype) ? Infinity : n * s;
  return x < 0 ? -v : v;
}

/** float32 `x`'s neighbours one float32 ulp below and above. */
function float32Neighbours(x: number): [number, number] {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer);
  const u = bits[0]!;
  bits[0] = u - 1;
  const down = f[0]!;
  bits[0] = u + 1;
  const up = f[0]!;
  return x >= 0 ? [down, up] : [up, down];
}

/**
 * Values that exercise rounding into `dtype`: exact ones, ties both ways (the even neighbour below
 * and above), near-ties one float32 ulp either side, overflow at the threshold and beyond, ±Inf,
 * NaN, ±0, the smallest normal and the subnormals (float16's below 2⁻¹⁴, bfloat16's below 2⁻¹²⁶),
 * and random values over many magnitudes.
 */
export function roundingCases(dtype: Half, random: Float32Array): Float32Array {
  const { p, emin } = HALF_FORMATS[dtype];
  const ulp1 = 2 ** (1 - p); // spacing in [1, 2)
  const max = largest(dtype);
  const maxUlp = spacing(max, dtype);
  const tiny = 2 ** (emin - p + 1); // the smallest subnormal
  const ties = [1 + ulp1 / 2, 1 + 1.5 * ulp1, -(1 + ulp1 / 2), 3 * (1 + 2.5 * ulp1), 2 ** -5 * (1 + 0.5 * ulp1), max + maxUlp / 2, tiny / 2, 1.5 * tiny, 2 ** emin * (1 + 0.5 * ulp1)];
  const values: number[] = [1, -2, 0.5, max, -max, 2 ** emin, tiny, -tiny, 2 ** emin - tiny, 0, -0, Infinity, -Infinity, NaN];
  for (const t of ties) values.push(t, ...float32Neighbours(t));
  values.push(max * 2, -max * 2, 3.4e38, 2 ** (emin - 3) * 1.3, 5 * tiny + tiny / 3);
  for (let i = 0; i < random.length; i++) values.push(random[i]! * 2 ** ((i % 41) - 20));
  return Float32Array.from(values);
}

/** Fails unless `got` is bit-for-bit `want`, telling −0 from +0. */
function expectSameBits(got: Float32Array, want: ArrayLike<number>, label: string): void {
  expectExact(got, want, label);
  for (let i = 0; i < want.length; i++) check(Object.is(got[i], want[i]) || want[i] !== want[i], `${label}: element ${i} is ${got[i]}, expected ${Object.is(want[i], -0) ? '-0' : want[i]}`);
}

const declared = <T>(b: TensorBackend<T>): readonly StorageDtype[] => b.storage?.dtypes ?? ['float32'];

/** A dtype's checks; each is skipped (through `needs`) unless the backend stores `dtype`. */
function dtypeChecks(dtype: Half): Check[] {
  const expected = (values: Float32Array): Float64Array => Float64Array.from(values, (v) => roundNearest64(v, dtype));
  return [
    {
      id: `storage.${dtype}.fromArray`,
      needs: `storage.${dtype}`,
      async run({ b, rng }) {
        const values = roundingCases(dtype, randn(rng, [256]).data);
        const x = b.fromArray(values, [values.length], dtype);
        try {
          check(b.storage!.dtype(x) === dtype, `storage.dtype(fromArray(data, shape, "${dtype}")) is ${b.storage!.dtype(x)}`);
          expectSameBits(await readValues(b, x, values.length, 'read'), expected(values), `fromArray(…, "${dtype}") rounds to nearest, ties to even`);
          const z = b.zerosLike(x);
          const z32 = b.zerosLike(x, 'float32');
          try {
            check(b.storage!.dtype(z) === dtype, `zerosLike of a ${dtype} tensor must default to ${dtype}, got ${b.storage!.dtype(z)}`);
            check(b.storage!.dtype(z32) === 'float32', `zerosLike(x, "float32") must be float32, got ${b.storage!.dtype(z32)}`);
            expectExact(await readValues(b, z, values.length, 'zeros'), new Float32Array(values.length), `zerosLike(${dtype} tensor)`);
          } finally {
            b.dispose(z);
            b.dispose(z32);
          }
        } finally {
          b.dispose(x);
        }
      },
    },
    {
      id: `storage.${dtype}.assign`,
      needs: `storage.${dtype}`,
      async run({ b, rng }) {
        const values = roundingCases(dtype, randn(rng, [256]).data);
        const n = values.length;
        const source = b.fromArray(values, [1, n]);
        const inside = b.fromArray(new Float32Array(n), [1, n], dtype);
        const outside = b.fromArray(new Float32Array(n), [1, n], dtype);
        const wide = b.fromArray(new Float32Array(n), [1, n]);
        try {
          // a computed value, assigned inside a run; a persistent one assigned outside any run
          await b.run(() => b.assign(inside, b.scale(source, 1)));
          b.assign(outside, source);
          const want = expected(values);
          expectSameBits(await readValues(b, inside, n, 'inside'), want, `assign inside run into ${dtype} rounds to nearest, ties to even`);
          expectSameBits(await readValues(b, outside, n, 'outside'), want, `assign outside run into ${dtype} rounds to nearest, ties to even`);
          // widening into float32 is exact, and the 16-bit tensor itself is unchanged by being read
          await b.run(() => b.assign(wide, inside));
          expectSameBits(await readValues(b, wide, n, 'wide'), want, `assign of a ${dtype} tensor into a float32 one widens exactly`);
          check(b.storage!.dtype(inside) === dtype, `assign must keep the target's storage dtype ${dtype}, got ${b.storage!.dtype(inside)}`);
        } finally {
          for (const t of [source, inside, outside, wide]) b.dispose(t);
        }
      },
    },
    {
      id: `storage.${dtype}.operands`,
      needs: `storage.${dtype}`,
      async run({ b, rng }) {
        // every kind of primitive, once with 16-bit operands and once with their float32 values: equal
        const [m, n] = [7, 12];
        const stored = [randn(rng, [m, n]).data, randn(rng, [m, n]).data, randn(rng, [m * n]).data].map((v, i) => b.fromArray(v, i < 2 ? [m, n] : [m * n], dtype));
        const half = [stored[0]!, stored[1]!, b.reshape(stored[2]!, [n, m])];
        const wide = await Promise.all(half.map(async (x) => b.fromArray(await readValues(b, x, m * n, 'operand'), b.shape(x))));
        const build = (xs: readonly unknown[]): unknown[] => {
          const [x, y, z] = xs as [never, never, never];
          return [b.add(x, y), b.mul(x, b.abs(y)), b.axpby(0.5, x, -2, y), b.sumSquares(x, 0), b.sumSquares(y, 1), b.maxAbs(x), b.matmul(x, z), b.transpose(x), b.reshape(y, [n, m])];
        };
        const evaluateAll = async (xs: readonly unknown[]): Promise<Float32Array[]> => {
          let results: unknown[] = [];
          const outs: unknown[] = [];
          try {
            await b.run(() => {
              results = build(xs);
              for (const r of results) {
                const o = b.zerosLike(r as never, 'float32');
                outs.push(o);
                b.assign(o as never, r as never);
              }
            });
            return await Promise.all(outs.map((o) => readValues(b, o as never, sizeOf(b.shape(o as never)), 'result')));
          } finally {
            for (const o of outs) b.dispose(o as never);
          }
        };
        try {
          check(b.storage!.dtype(half[2]!) === dtype, `reshape must keep the storage dtype ${dtype}, got ${b.storage!.dtype(half[2]!)}`);
          const [got, want] = [await evaluateAll(half), await evaluateAll(wide)];
          got.forEach((g, i) => expectExact(g, want[i]!, `result ${i} with ${dtype} operands (their exact float32 values)`));
          check((await b.allFinite(half)) === true, `allFinite of finite ${dtype} tensors must be true`);
          const inf = b.fromArray(Float32Array.of(1, 1e6), [2], dtype);
          try {
            check(dtype === 'bfloat16' || (await b.allFinite([inf])) === false, 'allFinite must see a float16 overflow to Inf');
          } finally {
            b.dispose(inf);
          }
        } finally {
          for (const t of [...stored, ...wide]) b.dispose(t as never);
        }
      },
    },
    {
      id: `storage.${dtype}.round`,
      needs: `storage.${dtype}`,
      async run({ b, rng }) {
        const values = roundingCases(dtype, randn(rng, [64]).data);
        const x = b.fromArray(values, [1, values.length]);
        const out = b.fromArray(new Float32Array(values.length), [1, values.length]);
        try {
          await b.run(() => {
            const r = b.storage!.round(x, dtype);
            check(b.storage!.dtype(r) === 'float32', `storage.round must return a float32 result, got ${b.storage!.dtype(r)}`);
            b.assign(out, r);
          });
          expectSameBits(await readValues(b, out, values.length, 'round'), expected(values), `storage.round(x, "${dtype}") rounds to nearest, ties to even`);
        } finally {
          b.dispose(x);
          b.dispose(out);
        }
      },
    },
    {
      id: `storage.${dtype}.stochastic`,
      needs: `storage.${dtype}.stochastic`,
      async run({ b, rng }) {
        // x at fractions f of the way from lo to hi, 4096 copies of each: every result is lo or hi,
        // and the mean of the results is x within 5 standard errors (nearest rounding is off by
        // min(f, 1 − f)·(hi − lo), far outside that for the fractions used)
        const copies = 4096;
        const bases = [1, -3, 2 ** 10 + 2 ** 3, 2 ** (HALF_FORMATS[dtype].emin - 2)];
        const fractions = [0.25, 0.5, 0.125, 0.75];
        const cases = bases.map((base, k) => {
          const lo = roundNearest64(base, dtype);
          const s = spacing(Math.abs(lo), dtype) * Math.sign(lo);
          return { lo, hi: lo + s, x: Math.fround(lo + fractions[k]! * s), f: fractions[k]! };
        });
        const values = new Float32Array(cases.length * copies);
        cases.forEach((c, k) => values.fill(c.x, k * copies, (k + 1) * copies));
        const special = Float32Array.of(1, -0, Infinity, -Infinity, NaN, largest(dtype));
        const all = new Float32Array([...values, ...special]);
        const x = b.fromArray(all, [1, all.length]);
        const outs = [0, 1, 2].map(() => b.fromArray(new Float32Array(all.length), [1, all.length]));
        const seed = Math.floor(rng.uniform() * 2 ** 31);
        try {
          await b.run(() => {
            b.assign(outs[0]!, b.storage!.round(x, dtype, seed));
            b.assign(outs[1]!, b.storage!.round(x, dtype, seed));
            b.assign(outs[2]!, b.storage!.round(x, dtype, seed + 1));
          });
          const [r, again, other] = await Promise.all(outs.map((o) => readValues(b, o, all.length, 'stochastic')));
          expectExact(again!, r!, 'stochastic rounding with the same seed must give the same result');
          check(r!.some((v, i) => !Object.is(v, other![i])), 'stochastic rounding with another seed must draw other values');
          cases.forEach((c, k) => {
            let sum = 0;
            for (let i = k * copies; i < (k + 1) * copies; i++) {
              const v = r![i]!;
              check(v === c.lo || v === c.hi, `stochastic rounding of ${c.x} to ${dtype} gave ${v}, not one of its neighbours ${c.lo} and ${c.hi}`);
              sum += v;
            }
            const mean = sum / copies;
            const stderr = Math.abs(c.hi - c.lo) * Math.sqrt((c.f * (1 - c.f)) / copies);
            check(Math.abs(mean - c.x) <= 5 * stderr, `stochastic rounding of ${c.x} to ${dtype} is biased: the mean of ${copies} draws is ${mean} (expected ${c.x} ± ${(5 * stderr).toExponential(2)})`);
          });
          const kept = r!.subarray(values.length);
          expectSameBits(kept, [1, -0, Infinity, -Infinity, NaN, largest(dtype)], `stochastic rounding keeps values ${dtype} holds, ±Inf and NaN`);
        } finally {
          b.dispose(x);
          for (const o of outs) b.dispose(o);
        }
      },
    },
  ];
}

/** The storage checks: what the backend declares and refuses, then each 16-bit dtype's checks. */
export function storageChecks(): Check[] {
  return [
    {
      id: 'storage.declared',
      async run({ b, rng }) {
        const dtypes = declared(b);
        check(dtypes.includes('float32'), `storage.dtypes must include "float32", got ${JSON.stringify(dtypes)}`);
        if (b.storage !== undefined) check(typeof b.storage.stochasticRounding === 'boolean', 'storage.stochasticRounding must be a boolean');
        const x = b.fromArray(randn(rng, [2, 3]).data, [2, 3]);
        try {
          if (b.storage !== undefined) check(b.storage.dtype(x) === 'float32', `storage.dtype(fromArray(data, shape)) must be "float32", got ${b.storage.dtype(x)}`);
          // a dtype the backend does not store is refused, never stored as float32 instead
          for (const dtype of ['bfloat16', 'float16', 'float64'] as const) {
            if (dtypes.includes(dtype as StorageDtype)) continue;
            for (const [op, call] of [
              ['fromArray', () => b.fromArray(new Float32Array(6), [2, 3], dtype as StorageDtype)],
              ['zerosLike', () => b.zerosLike(x, dtype as StorageDtype)],
            ] as const) {
              let made: unknown;
              let threw = false;
              try {
                made = call();
              } catch {
                threw = true;
              }
              if (!threw) b.dispose(made as never);
              check(threw, `${op} with dtype "${dtype}" must throw: ${b.name} does not store it (declared: ${dtypes.join(', ')})`);
            }
          }
        } finally {
          b.dispose(x);
        }
      },
    },
    ...dtypeChecks('bfloat16'),
    ...dtypeChecks('float16'),
  ];
}

/** Why `b` lacks what a storage check needs (`storage.<dtype>` or `storage.<dtype>.stochastic`), or `undefined`. */
export function lacksStorage<T>(b: TensorBackend<T>, needs: string): string | undefined {
  const [, dtype, stochastic] = needs.split('.');
  if (!declared(b).includes(dtype as StorageDtype)) return `${b.name} does not store ${dtype}`;
  if (stochastic !== undefined && b.storage?.stochasticRounding !== true) return `${b.name} has no stochastic rounding`;
  return undefined;
}
