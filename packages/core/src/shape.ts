import type { Shape } from './backend/contract.js';
import { LmoError } from './errors.js';

/**
 * The number of elements of `shape` (1 for a scalar `[]`).
 * @throws LmoError `SHAPE_MISMATCH` when a dimension is not a non-negative integer.
 */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new LmoError('SHAPE_MISMATCH', `invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
    size *= d;
  }
  return size;
}

/** Whether two shapes are equal dimension by dimension. */
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `[2, 3]` → `"[2, 3]"`, for messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The matrix core views a tensor of `shape` as, so that every arithmetic primitive sees 2-D
 * tensors: a scalar is `[1, 1]`, a vector `[1, n]`, a matrix itself, and a higher-rank tensor
 * `[d₀, d₁·d₂·…]` (a conv kernel `[out, in, k…]` becomes `[out, in·K]`).
 */
export function matrixView(shape: Shape): [rows: number, cols: number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  if (shape.length < 2) return [1, sizeOf(shape)];
  return [shape[0]!, sizeOf(shape.slice(1))];
}
