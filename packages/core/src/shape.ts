import type { Shape } from './backend.js';
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
