/**
 * The error of `actual` relative to the largest magnitude of `expected`:
 *
 * `‖actual − expected‖∞ / ‖expected‖∞` (or `‖actual − expected‖∞` when `expected` is all zeros).
 *
 * The measure parity tests bound when they compare a backend's parameters or updates with a
 * reference. `Infinity` when the lengths differ or a difference is NaN or ±Inf, so that no
 * comparison with a NaN ever passes.
 *
 * @example
 * ```ts
 * import { relativeError } from '@lmo/core/testing';
 * relativeError(Float32Array.of(1, 2.001), Float32Array.of(1, 2)); // ≈ 5e-4
 * ```
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!Number.isFinite(d)) return Infinity;
    if (d > err) err = d;
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? err : err / scale;
}
