/**
 * Rounding float32 values into 16-bit storage, written once for every backend that emulates it on
 * the host: to nearest with ties to even (IEEE 754's default, what every engine's cast does), and
 * stochastic rounding from a seeded counter-based stream, so that a seed gives the same bits on
 * every backend that uses these functions.
 */
import type { StorageDtype } from '../backend/contract.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../io/half-precision.js';

/** A 16-bit storage dtype. */
export type HalfDtype = Exclude<StorageDtype, 'float32'>;

/** float32 values rounded to nearest (ties to even) into `dtype`'s bits. */
export function encodeHalf(values: Float32Array, dtype: HalfDtype): Uint16Array {
  return dtype === 'bfloat16' ? toBfloat16Bits(values) : toFloat16Bits(values);
}

/** `dtype`'s bits widened to float32, exactly. */
export function decodeHalf(bits: Uint16Array, dtype: HalfDtype): Float32Array {
  return dtype === 'bfloat16' ? fromBfloat16Bits(bits) : fromFloat16Bits(bits);
}

/**
 * `values` rounded to nearest (ties to even) to the values `dtype` holds, as float32 (a copy for
 * float32): beyond the largest finite value by half an ulp or more gives ±Inf, NaN stays NaN.
 */
export function roundNearest(values: Float32Array, dtype: StorageDtype): Float32Array {
  return dtype === 'float32' ? values.slice() : decodeHalf(encodeHalf(values, dtype), dtype);
}

/** Chris Wellons' `lowbias32` integer hash: a bijection of 32-bit integers with strong avalanche. */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** One 32-bit seed from several integers (a seed, a step, an index…), order-sensitive. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) h = lowbias32((h ^ (p >>> 0)) + 0x9e3779b9);
  return h;
}

/** The stream's 32 random bits for element `i`: `lowbias32(i + lowbias32(seed))`, uniform over 0…2³²−1. */
export function streamBits(seed: number, i: number): number {
  return lowbias32((i + lowbias32(seed >>> 0)) >>> 0);
}

const TWO_POW_32 = 2 ** 32;

/**
 * Stochastic rounding of float32 values into `dtype`, as float32: each value `x` between the two
 * neighbouring values `lo < x < hi` of `dtype` becomes `hi` with probability `(x − lo)/(hi − lo)`
 * and `lo` otherwise, so that `E[round(x)] = x` exactly (values `dtype` holds, ±Inf and NaN are
 * kept; NaN as in {@link roundNearest}). The draw for element `i` is {@link streamBits}`(seed, i)`:
 * bfloat16 adds its upper 16 bits to the 16 bits it drops, float16 compares `bits/2³²` with the
 * fraction it drops. Beyond the largest finite value, `hi` is ±Inf.
 */
export function roundStochastic(values: Float32Array, dtype: StorageDtype, seed: number): Float32Array {
  if (dtype === 'float32') return values.slice();
  const out = new Float32Array(values.length);
  const key = lowbias32(seed >>> 0);
  if (dtype === 'bfloat16') {
    const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const outBits = new Uint32Array(out.buffer);
    for (let i = 0; i < values.length; i++) {
      const f = inBits[i]!;
      if ((f & 0x7f800000) === 0x7f800000) outBits[i] = (f & 0x7fffff) === 0 ? f : (f | 0x400000) & 0xffff0000; // ±Inf kept; NaN quiet
      else outBits[i] = (((f + (lowbias32((i + key) >>> 0) >>> 16)) >>> 16) << 16) >>> 0; // < 2³² for every finite f
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const a = Math.abs(x);
    if (!Number.isFinite(x) || a === 0) {
      out[i] = x;
      continue;
    }
    // float16's spacing at |x|: 2^(e − 10) for a normal float16 (e = ⌊log₂|x|⌋ ≥ −14), 2^−24 below
    let e = Math.floor(Math.log2(a));
    if (2 ** e > a) e--;
    else if (2 ** (e + 1) <= a) e++;
    const ulp = 2 ** (Math.max(e, -14) - 10);
    const q = a / ulp; // exact: a power-of-two scaling of a float32
    const lo = Math.floor(q);
    const up = lowbias32((i + key) >>> 0) / TWO_POW_32 < q - lo ? 1 : 0;
    const r = (lo + up) * ulp;
    out[i] = x < 0 ? -r : r;
  }
  // beyond float16's range the grid above is float32's: the nearest rounding makes those ±Inf
  return fromFloat16Bits(toFloat16Bits(out));
}
