/**
 * A 16-bit run's final weights against the reference's: both are values of the storage dtype, so
 * they are compared in that dtype's steps (the spacing of its values at the reference value).
 */
import { PARAMS, type StorageRun } from './problem.js';

/** How far a 16-bit run's final weights are from the reference's. */
export interface StoredComparison {
  readonly dtype: StorageRun['dtype'];
  readonly compensation?: 'kahan';
  /** Weights, over all parameters. */
  readonly elements: number;
  /** Weights not bit for bit the reference's. */
  readonly differing: number;
  /** The largest |x − x_ref| in steps of the dtype at x_ref (1: a neighbouring value). */
  readonly maxSteps: number;
  /** Weights that are not a value of the dtype (a backend that stored them wider). */
  readonly notRepresentable: number;
}

/** Significand bits after the point, and the smallest normal exponent, of each 16-bit dtype. */
const FORMAT = { bfloat16: { fraction: 7, minExponent: -126 }, float16: { fraction: 10, minExponent: -14 } } as const;

/** The spacing of the dtype's values at `x` (upwards from |x|; subnormals' below the smallest normal). */
export function spacing(x: number, dtype: StorageRun['dtype']): number {
  const { fraction, minExponent } = FORMAT[dtype];
  const exponent = x === 0 ? minExponent : Math.max(Math.floor(Math.log2(Math.abs(x))), minExponent);
  return 2 ** (exponent - fraction);
}

/** `x` is a value of the dtype: a whole number of its spacing, or beyond its range. */
function representable(x: number, dtype: StorageRun['dtype']): boolean {
  return !Number.isFinite(x) || Number.isInteger(x / spacing(x, dtype));
}

/** Compares every parameter's final weights with the reference's, in the dtype's steps. */
export function compareStored(final: ReadonlyMap<string, Float32Array>, reference: ReadonlyMap<string, Float32Array>, storage: StorageRun): StoredComparison {
  let [elements, differing, maxSteps, notRepresentable] = [0, 0, 0, 0];
  for (const { name } of PARAMS) {
    const got = final.get(name)!;
    const want = reference.get(name)!;
    for (let i = 0; i < want.length; i++) {
      const [x, r] = [got[i]!, want[i]!];
      elements++;
      if (!representable(x, storage.dtype)) notRepresentable++;
      if (x === r) continue;
      differing++;
      maxSteps = Math.max(maxSteps, Number.isNaN(x) ? Infinity : Math.abs(x - r) / spacing(r, storage.dtype));
    }
  }
  return { dtype: storage.dtype, ...(storage.compensation ? { compensation: storage.compensation } : {}), elements, differing, maxSteps, notRepresentable };
}
