import { Random } from '@lmo/core';

/** Deterministic standard-normal values. */
export function normals(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

/** Row-major transpose of a `[rows, cols]` matrix. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

/** Keras conv kernel `[t…, in, out]` (taps flattened to `t`) → reference `[out, in, t…]`. */
export function kerasToReferenceConv(data: Float32Array, taps: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let t = 0; t < taps; t++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[(o * cin + i) * taps + t] = data[(t * cin + i) * cout + o]!;
  return out;
}

