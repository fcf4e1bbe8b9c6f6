import type { Shape, StorageDtype } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { formatShape, sizeOf } from '../shape.js';
import { decodeHalf, type HalfDtype } from '../storage/rounding.js';

/**
 * The reference backend's tensor: dense, row-major values and their shape, stored as a
 * `Float32Array`, or for a 16-bit {@link RefTensor.dtype} as the raw bits in a `Uint16Array`.
 *
 * Every operation of the reference backend returns a fresh float32 `RefTensor` that owns its own
 * data (nothing is ever aliased, `reshape` included), so the only way values change is
 * {@link TensorBackend.assign}, which copies (rounding into 16-bit storage) into the target in place.
 */
export class RefTensor {
  /** The dimensions, outermost first; `[]` for a scalar. Frozen. */
  readonly shape: Shape;
  /** How the values are stored: float32, or bfloat16/float16 bits in {@link RefTensor.bits}. */
  readonly dtype: StorageDtype;
  /** The stored bits of a 16-bit tensor (`undefined` for float32). */
  readonly bits: Uint16Array | undefined;
  readonly #values: Float32Array | undefined;

  /**
   * Wraps `data` (not copied) with `shape`: a `Float32Array` for float32, a `Uint16Array` of raw
   * bits for `'bfloat16'` and `'float16'`.
   * @throws LmoError `SHAPE_MISMATCH` when `data` is not the array `dtype` needs, its length is not
   *   the product of `shape`, or a dimension is not a non-negative integer.
   */
  constructor(data: Float32Array | Uint16Array, shape: Shape, dtype: StorageDtype = 'float32') {
    const kind = dtype === 'float32' ? Float32Array : Uint16Array;
    if (!(data instanceof kind)) {
      throw new LmoError('SHAPE_MISMATCH', `RefTensor: ${dtype} data must be a ${kind.name}, got ${Object.prototype.toString.call(data)}`);
    }
    if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `RefTensor: shape must be an array of dimensions, got ${shown(shape)}`);
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new LmoError(
        'SHAPE_MISMATCH',
        `RefTensor: shape ${formatShape(shape)} holds ${size} values but data has ${data.length}`,
      );
    }
    this.dtype = dtype;
    this.bits = dtype === 'float32' ? undefined : (data as Uint16Array);
    this.#values = dtype === 'float32' ? (data as Float32Array) : undefined;
    this.shape = Object.freeze(shape.slice());
  }

  /**
   * The values, row-major, as float32: a float32 tensor's own array, or a 16-bit tensor's bits
   * widened exactly into a new array (writing to that copy changes nothing).
   */
  get data(): Float32Array {
    return this.#values ?? decodeHalf(this.bits!, this.dtype as HalfDtype);
  }

  /** Number of elements. */
  get size(): number {
    return (this.#values ?? this.bits!).length;
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
