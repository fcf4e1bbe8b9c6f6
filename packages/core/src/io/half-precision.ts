import { LmoError } from '../errors.js';
import { isTypedArray } from './typed-arrays.js';

/*
 * float16 (IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits, bias 15) and bfloat16 (the top
 * half of a float32: 1 sign, 8 exponent, 7 mantissa bits), held as raw bits in Uint16Arrays.
 * Widening to float32 is exact. Narrowing rounds to nearest, ties to even, as IEEE 754 (and numpy,
 * PyTorch and every GPU) do; values beyond the largest finite number become ±Inf, NaN stays NaN.
 */

function float32Bits(values: Float32Array, caller: string): Uint32Array {
  if (!isTypedArray(values, 'Float32Array')) {
    throw new LmoError('INVALID_SAFETENSORS', `${caller} expects a Float32Array, got ${describe(values)}`);
  }
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

function halfBits(bits: Uint16Array, caller: string): Uint16Array {
  if (!isTypedArray(bits, 'Uint16Array')) throw new LmoError('INVALID_SAFETENSORS', `${caller} expects a Uint16Array of raw bits, got ${describe(bits)}`);
  return bits;
}

function describe(x: unknown): string {
  return ArrayBuffer.isView(x) ? x.constructor.name : x === null ? 'null' : typeof x;
}

/** Rounds float32 bits `f` to binary16 bits, to nearest with ties to even. */
function toHalf(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff; // float32's biased exponent: |x| = 1.mant × 2^(exp − 127)
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | (mant === 0 ? 0x7c00 : 0x7e00 | (mant >>> 13)); // ±Inf; NaN stays a (quiet) NaN
  if (exp >= 143) return sign | 0x7c00; // |x| ≥ 2^16, beyond 65504 + half an ulp: ±Inf
  let h: number;
  let rest: number;
  let half: number;
  if (exp >= 113) {
    // binary16 normal: exponent exp − 112 in 1..30, 13 mantissa bits dropped
    h = ((exp - 112) << 10) | (mant >>> 13);
    rest = mant & 0x1fff;
    half = 0x1000;
  } else if (exp >= 102) {
    // binary16 subnormal (|x| < 2^−14): |x| / 2^−24 = (1.mant × 2^23) × 2^(exp − 126), shifted by 14..24 bits
    const sig = 0x800000 | mant;
    const shift = 126 - exp;
    h = sig >>> shift;
    rest = sig & ((1 << shift) - 1);
    half = 1 << (shift - 1);
  } else {
    return sign; // |x| < 2^−25, less than half the smallest subnormal 2^−24: ±0
  }
  // A carry out of the mantissa bumps the exponent, which is right (up to 0x7c00 = Inf).
  return sign | (h + (rest > half || (rest === half && (h & 1) === 1) ? 1 : 0));
}

/**
 * float32 values rounded to float16 (binary16) bits: to nearest, ties to even; `|x| ≥ 65520` gives ±Inf,
 * NaN a NaN, and values below 2^−14 the subnormals (down to 2^−24).
 */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const f = float32Bits(values, 'toFloat16Bits');
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = toHalf(f[i]!);
  return out;
}

/** float16 (binary16) bits widened to float32, exactly: `(−1)^s · 2^(e−15) · (1 + m/1024)`, subnormals `(−1)^s · m · 2^−24`. */
export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const h = halfBits(bits, 'fromFloat16Bits');
  const out = new Float32Array(h.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const exp = (x >>> 10) & 0x1f;
    const mant = x & 0x3ff;
    const sign = (x & 0x8000) << 16;
    if (exp === 0x1f) outBits[i] = sign | 0x7f800000 | (mant << 13); // ±Inf, NaN (payload kept)
    else if (exp !== 0) outBits[i] = sign | ((exp + 112) << 23) | (mant << 13);
    else out[i] = (sign === 0 ? 1 : -1) * mant * 2 ** -24; // ±0 and subnormals, exact in float32
  }
  return out;
}

/**
 * float32 values rounded to bfloat16 bits (the upper 16 bits of a float32): to nearest, ties to even;
 * values beyond the largest finite bfloat16 (≈ 3.39e38) by half an ulp or more give ±Inf, NaN a NaN.
 */
export function toBfloat16Bits(values: Float32Array): Uint16Array {
  const f = float32Bits(values, 'toBfloat16Bits');
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = f[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x0040; // NaN: sign and top payload kept, quiet bit set
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16; // < 2^32 for every non-NaN x
  }
  return out;
}

/** bfloat16 bits widened to float32, exactly (they become the upper 16 bits). */
export function fromBfloat16Bits(bits: Uint16Array): Float32Array {
  const h = halfBits(bits, 'fromBfloat16Bits');
  const out = new Float32Array(h.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) outBits[i] = h[i]! << 16;
  return out;
}
