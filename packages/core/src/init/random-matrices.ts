import type { Random } from '../random.js';

/** `n` standard normal samples in float64. */
export function normals(n: number, rng: Random): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/**
 * A random `rows × cols` matrix with orthonormal rows (if rows ≤ cols) or columns (if rows ≥ cols),
 * row-major float64: the Q factor of a Gaussian matrix, signs fixed by `diag(R) > 0` so that it is
 * Haar-distributed (the recipe of `torch.nn.init.orthogonal_`).
 */
export function orthogonalMatrix(rows: number, cols: number, rng: Random): Float64Array {
  const tall = rows >= cols;
  const m = tall ? rows : cols; // long side
  const n = tall ? cols : rows; // short side
  // Columns of an m×n Gaussian matrix, orthonormalized by modified Gram–Schmidt (twice, for stability).
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = normals(m, rng);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i] = v[i]! - dot * u[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] = v[i]! / norm;
    q.push(v);
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < n; j++) {
    const v = q[j]!;
    for (let i = 0; i < m; i++) {
      // tall: out[i, j] = v[i]; wide: out[j, i] = v[i]
      if (tall) out[i * cols + j] = v[i]!;
      else out[j * cols + i] = v[i]!;
    }
  }
  return out;
}

/** Float64 → Float32, multiplying by `factor`. */
export function toFloat32(values: Float64Array, factor = 1): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * factor;
  return out;
}

/** Transposes a row-major `rows × cols` float64 matrix. */
export function transposed(values: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]!;
  return out;
}
