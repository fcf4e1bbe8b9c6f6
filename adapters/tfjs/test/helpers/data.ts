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

/** `max |a − b| / max(1e-30, max |b|)`: the relative error the parity tests bound. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}
