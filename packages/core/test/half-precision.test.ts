/**
 * float16 and bfloat16 conversions against float64 computations from the formats' definitions:
 * widening over every bit pattern, narrowing (round to nearest, ties to even, overflow to ±Inf)
 * against a brute-force nearest-value search on every midpoint, its float32 neighbours and random
 * float32 values.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../src/io/half-precision.js';

interface Format {
  name: string;
  mantissaBits: number;
  exponentBits: number;
  to: (x: Float32Array) => Uint16Array;
  from: (b: Uint16Array) => Float32Array;
}

const FORMATS: Format[] = [
  { name: 'float16', mantissaBits: 10, exponentBits: 5, to: toFloat16Bits, from: fromFloat16Bits },
  { name: 'bfloat16', mantissaBits: 7, exponentBits: 8, to: toBfloat16Bits, from: fromBfloat16Bits },
];

/** The value of a bit pattern from the definition, in float64; `unbounded` reads the Inf pattern as 2^(emax+1). */
function valueOf(f: Format, bits: number, unbounded = false): number {
  const m = bits & ((1 << f.mantissaBits) - 1);
  const e = (bits >>> f.mantissaBits) & ((1 << f.exponentBits) - 1);
  const s = bits >>> (f.mantissaBits + f.exponentBits) ? -1 : 1;
  const bias = (1 << (f.exponentBits - 1)) - 1;
  const top = (1 << f.exponentBits) - 1;
  if (e === top && !unbounded) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * 2 ** (1 - bias - f.mantissaBits);
  return s * 2 ** (e - bias) * (1 + m / 2 ** f.mantissaBits);
}

/** Round to nearest, ties to even, by search over the positive bit patterns (monotonic in value). */
function nearest(f: Format, x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 1 << (f.mantissaBits + f.exponentBits) : 0;
  const a = Math.abs(x);
  if (Number.isNaN(x)) return -1;
  const inf = ((1 << f.exponentBits) - 1) << f.mantissaBits;
  if (a === Infinity) return sign | inf;
  // largest pattern lo in [0, inf] with value ≤ a (inf read as 2^(emax+1), where rounding overflows)
  let lo = 0;
  let hi = inf;
  if (valueOf(f, inf, true) <= a) return sign | inf;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (valueOf(f, mid, true) <= a) lo = mid;
    else hi = mid;
  }
  const down = a - valueOf(f, lo, true);
  const up = valueOf(f, lo + 1, true) - a;
  const pick = down < up ? lo : up < down ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
  return sign | pick;
}

function f32(xs: number[]): Float32Array {
  return Float32Array.from(xs);
}

function bitsOfFloat32(x: number): number {
  return new Uint32Array(f32([x]).buffer)[0]!;
}

function float32OfBits(b: number): number {
  return new Float32Array(Uint32Array.of(b).buffer)[0]!;
}

/** A small deterministic generator of float32 bit patterns. */
function randomFloat32(count: number, seed: number): Float32Array {
  const bits = new Uint32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const t = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) ^ Math.imul(s, 0x297a2d39)) >>> 0;
    bits[i] = t;
  }
  return new Float32Array(bits.buffer);
}

describe.each(FORMATS)('$name', (f) => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);

  it('widens every bit pattern exactly to the value its definition gives', () => {
    const wide = f.from(all);
    for (let b = 0; b < 65536; b++) {
      const want = valueOf(f, b);
      if (Number.isNaN(want)) expect(wide[b], `bits ${b}`).toBeNaN();
      else if (!Object.is(wide[b], want)) expect(wide[b], `bits ${b.toString(16)}`).toBe(want);
    }
  });

  it('narrows every representable value back to its own bits, and NaN to a NaN', () => {
    const back = f.to(f.from(all));
    for (let b = 0; b < 65536; b++) {
      if (Number.isNaN(valueOf(f, b))) expect(Number.isNaN(valueOf(f, back[b]!)), `bits ${b.toString(16)}`).toBe(true);
      else if (back[b] !== b) expect(back[b], `bits ${b.toString(16)}`).toBe(b);
    }
  });

  it('rounds to nearest, ties to even: every midpoint, its float32 neighbours and random float32 values', () => {
    const inputs: number[] = [];
    const positives = (((1 << f.exponentBits) - 1) << f.mantissaBits) - 1;
    for (let b = 0; b <= positives; b++) {
      const mid = (valueOf(f, b, true) + valueOf(f, b + 1, true)) / 2;
      if (Math.fround(mid) !== mid) continue; // a midpoint float32 cannot hold: no float32 input is a tie there
      const bits = bitsOfFloat32(mid);
      inputs.push(mid, float32OfBits(bits - 1), float32OfBits(bits + 1));
    }
    for (const x of randomFloat32(200_000, f.mantissaBits)) inputs.push(x);
    const xs = f32([...inputs, ...inputs.map((x) => -x)]);
    const got = f.to(xs);
    let checked = 0;
    for (let i = 0; i < xs.length; i++) {
      const want = nearest(f, xs[i]!);
      if (want < 0) expect(Number.isNaN(valueOf(f, got[i]!)), `NaN in at ${i}`).toBe(true);
      else if (got[i] !== want) expect(got[i], `x = ${xs[i]} (float32 bits ${bitsOfFloat32(xs[i]!).toString(16)})`).toBe(want);
      checked++;
    }
    expect(checked).toBeGreaterThan(400_000);
  });
});

describe('the edges, spelled out', () => {
  it('float16', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // the largest finite
      [65519.99609375, 0x7bff], // just below the overflow threshold (65504 + half an ulp)
      [65520, 0x7c00], // the tie rounds to even: Inf
      [1e10, 0x7c00],
      [2 ** -14, 0x0400], // the smallest normal
      [2 ** -24, 0x0001], // the smallest subnormal
      [2 ** -25, 0x0000], // half of it: a tie, to even (zero)
      [2 ** -25 * (1 + 2 ** -23), 0x0001],
      [3 * 2 ** -25, 0x0002], // a tie between 1 and 2 ulps: to even
      [1 + 2 ** -11, 0x3c00], // a tie between 1 and its successor: to even
      [1 + 3 * 2 ** -11, 0x3c02],
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    expect(Array.from(toFloat16Bits(f32(cases.map(([x]) => x))))).toEqual(cases.map(([, b]) => b));
    expect(Array.from(fromFloat16Bits(Uint16Array.from(cases.map(([, b]) => b)))).slice(0, 3)).toEqual([1, -2, 65504]);
  });

  it('bfloat16', () => {
    const max = float32OfBits(0x7f7fffff); // float32's largest finite: beyond bfloat16's by more than half an ulp
    const cases: Array<[number, number]> = [
      [1, 0x3f80],
      [0.5, 0x3f00],
      [-2, 0xc000],
      [1 + 2 ** -8, 0x3f80], // a tie: to even
      [1 + 3 * 2 ** -8, 0x3f82],
      [max, 0x7f80],
      [float32OfBits(0x7f7f7fff), 0x7f7f],
      [float32OfBits(0x7f7f8000), 0x7f80], // the tie above the largest finite (odd): Inf
      [2 ** -133, 0x0001], // the smallest subnormal
      [-0, 0x8000],
      [-Infinity, 0xff80],
    ];
    expect(Array.from(toBfloat16Bits(f32(cases.map(([x]) => x))))).toEqual(cases.map(([, b]) => b));
  });

  it('NaN stays NaN, with its sign, whatever the payload', () => {
    const nans = new Float32Array(Uint32Array.of(0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff).buffer);
    for (const [to, from] of [
      [toFloat16Bits, fromFloat16Bits],
      [toBfloat16Bits, fromBfloat16Bits],
    ] as const) {
      const bits = to(nans);
      const back = from(bits);
      for (let i = 0; i < nans.length; i++) expect(back[i]).toBeNaN();
      expect(Array.from(bits, (b) => b >> 15)).toEqual([0, 1, 0, 1, 0]);
    }
  });

  it('refuses arrays of the wrong type with an LmoError', () => {
    expect(() => toFloat16Bits(new Float64Array(2) as unknown as Float32Array)).toThrow(LmoError);
    expect(() => toBfloat16Bits([1, 2] as unknown as Float32Array)).toThrow(/expects a Float32Array, got object/);
    expect(() => fromFloat16Bits(new Int16Array(2) as unknown as Uint16Array)).toThrow(/expects a Uint16Array of raw bits, got Int16Array/);
  });

  it('reads a Float32Array that is a view at an offset', () => {
    const buffer = new Float32Array([7, 1, 2, 7]);
    expect(Array.from(toFloat16Bits(buffer.subarray(1, 3)))).toEqual([0x3c00, 0x4000]);
  });
});
