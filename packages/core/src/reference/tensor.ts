import type { Shape } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { formatShape, sizeOf } from '../shape.js';

/**
 * The reference backend's tensor: a dense, row-major `Float32Array` and its shape.
 *
 * Every operation of the reference backend returns a fresh `RefTensor` that owns its own `data`
 * (nothing is ever aliased, `reshape` included), so the only way values change is
 * {@link TensorBackend.assign}, which copies into `target.data` in place.
 */
export class RefTensor {
  /** The values, row-major. Its length is the product of {@link RefTensor.shape}. */
  readonly data: Float32Array;
  /** The dimensions, outermost first; `[]` for a scalar. Frozen. */
  readonly shape: Shape;

  /**
   * Wraps `data` (not copied) with `shape`.
   * @throws LmoError `SHAPE_MISMATCH` when `data.length` is not the product of `shape`, or a
   *   dimension is not a non-negative integer.
   */
  constructor(data: Float32Array, shape: Shape) {
    if (!(data instanceof Float32Array)) {
      throw new LmoError('SHAPE_MISMATCH', `RefTensor: data must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
    }
    if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `RefTensor: shape must be an array of dimensions, got ${shown(shape)}`);
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new LmoError(
        'SHAPE_MISMATCH',
        `RefTensor: shape ${formatShape(shape)} holds ${size} values but data has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = Object.freeze(shape.slice());
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }
}

export { formatShape, sameShape, sizeOf } from '../shape.js';

/**
 * The `[rows, cols]` of a 2-D tensor.
 * @throws LmoError `UNSUPPORTED_SHAPE` when `x` is not 2-D.
 */
export function dims2(x: RefTensor, op: string): [rows: number, cols: number] {
  if (x.shape.length !== 2) {
    throw new LmoError('UNSUPPORTED_SHAPE', `${op} expects a 2-D tensor, got shape ${formatShape(x.shape)}`);
  }
  return [x.shape[0]!, x.shape[1]!];
}
