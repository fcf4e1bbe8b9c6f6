import type { Shape, TensorBackend } from '../backend/contract.js';
import { matrixView, sameShape } from '../shape.js';

/** `x` seen as its 2-D matrix view (a reshape, unless it already is that matrix). */
export function asMatrix<T>(b: TensorBackend<T>, x: T, shape: Shape): T {
  const [rows, cols] = matrixView(shape);
  const own = b.shape(x);
  return own.length === 2 && own[0] === rows && own[1] === cols ? x : b.reshape(x, [rows, cols]);
}

/** `x` reshaped back to `shape` (unless it already has it). */
export function asShape<T>(b: TensorBackend<T>, x: T, shape: Shape): T {
  return sameShape(b.shape(x), shape) ? x : b.reshape(x, shape);
}
