import type { Axis, Shape, TensorBackend } from '../backend/contract.js';
import { normals } from '../init/random-matrices.js';
import type { Random } from '../random.js';

/** The `eps` of the column/row/RMS/Frobenius normalizations, as in the reference implementation. */
export const NORMALIZE_EPS = 1e-8;

/** Added to `max|g|` so that the scale is never 0 (an all-zero `g` then normalizes to zeros). */
const SCALE_FLOOR = 1e-30;

/**
 * `g / s` and `eps / s` (both from `[1, 1]` tensors), with `s = max|g| + 10⁻³⁰`.
 *
 * Norms are computed from the scaled `g/s`, whose entries are at most 1 in magnitude, so the sum
 * of squares cannot overflow for any finite float32 input: `g / (f·‖g‖ + eps)` is evaluated as
 * `(g/s) / (f·‖g/s‖ + eps/s)`, which is the same number in exact arithmetic. Every backend runs
 * this same sequence of primitives, so huge inputs give the same direction everywhere.
 */
export function scaleFree<T>(b: TensorBackend<T>, g: T, eps: number): { scaled: T; epsOver: T } {
  const s = b.addScalar(b.maxAbs(g), SCALE_FLOOR);
  const scaled = b.div(g, s);
  const epsOver = b.div(b.addScalar(b.scale(s, 0), eps), s);
  return { scaled, epsOver };
}

/**
 * Normalizes each column (`axis = 0`), each row (`axis = 1`) or the whole of a 2-D `g`
 * (`axis` undefined): `u_v = g_v / (factor·‖g_v‖₂ + 1e-8)`, computed scale-free ({@link scaleFree}).
 */
export function normalizeVectors<T>(b: TensorBackend<T>, g: T, axis: Axis | undefined, factor: number): T {
  const { scaled, epsOver } = scaleFree(b, g, NORMALIZE_EPS);
  const r = b.scale(b.sqrt(b.sumSquares(scaled, axis)), factor);
  return b.div(scaled, b.add(r, epsOver));
}

/** A Gaussian 2-D matrix whose columns (`axis = 0`) or rows (`axis = 1`) have ℓ2 length `length`. */
export function randomVectors(shape: Shape, axis: Axis, length: number, rng: Random): Float32Array {
  const rows = shape[0]!;
  const cols = shape[1]!;
  const values = normals(rows * cols, rng);
  const out = new Float32Array(rows * cols);
  const count = axis === 0 ? cols : rows;
  const size = axis === 0 ? rows : cols;
  const at = (v: number, k: number) => (axis === 0 ? k * cols + v : v * cols + k);
  for (let v = 0; v < count; v++) {
    let ss = 0;
    for (let k = 0; k < size; k++) ss += values[at(v, k)]! ** 2;
    const f = length / Math.sqrt(ss);
    for (let k = 0; k < size; k++) out[at(v, k)] = values[at(v, k)]! * f;
  }
  return out;
}
