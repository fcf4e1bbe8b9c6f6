import type { Axis, Shape, TensorBackend } from '../backend.js';
import { normals } from '../init/random-matrices.js';
import type { Random } from '../random.js';
import { dims2 } from './norm.js';

/** The `eps` of the column/row/RMS normalizations, as in the reference implementation. */
export const NORMALIZE_EPS = 1e-8;

/**
 * Normalizes each column (`axis = 0`) or row (`axis = 1`) of a 2-D `g` to ℓ2 length `1/factor`:
 * `r = factor · ‖g_v‖₂`, `u_v = g_v / (r + 1e-8)`.
 */
export function normalizeVectors<T>(backend: TensorBackend<T>, g: T, axis: Axis, factor: number): T {
  const r = backend.scale(backend.sqrt(backend.sumSquares(g, axis)), factor);
  return backend.div(g, backend.addScalar(r, NORMALIZE_EPS));
}

/** A Gaussian 2-D matrix whose columns (`axis = 0`) or rows (`axis = 1`) have ℓ2 length `length`. */
export function randomVectors(shape: Shape, axis: Axis, length: number, rng: Random): Float32Array {
  const [rows, cols] = dims2(shape);
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
