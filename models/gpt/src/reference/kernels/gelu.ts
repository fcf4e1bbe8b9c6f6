import type { FloatArray } from './types.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * The error function to double precision: its Maclaurin series below |x| = 2.5, the continued
 * fraction of erfc above (both converge fast there), so that float64 finite differences of the
 * GELU agree with its analytic derivative.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x; // (−1)ⁿ x^(2n+1) / n!
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = (Math.exp(-ax * ax) * INV_SQRT_PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** Exact GELU `x·Φ(x)`; keeps `Φ(x)` in `cdf` for the backward pass. */
export function geluForward(x: FloatArray, n: number, out: FloatArray, cdf: FloatArray): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const c = 0.5 * (1 + erf(v * INV_SQRT2));
    cdf[i] = c;
    out[i] = v * c;
  }
}

/** `dx = dout · (Φ(x) + x·φ(x))`, written (not added) into `dx`. */
export function geluBackward(dout: FloatArray, x: FloatArray, cdf: FloatArray, n: number, dx: FloatArray): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    dx[i] = dout[i]! * (cdf[i]! + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
  }
}
