/**
 * The suite's own float64 ground truth for the non-trivial primitives, independent of any backend
 * (the reference backend included).
 */
import type { PolynomialCoefficients } from '../backend/contract.js';

/** `op(A)·op(B)` in float64 with, per entry, the Cauchy–Schwarz scale `‖op(A)[i,:]‖·‖op(B)[:,j]‖`. */
export interface Product64 {
  readonly c: Float64Array;
  readonly scale: Float64Array;
}

/** `op(A)·op(B)`; `a` is stored `[M, K]` (or `[K, M]` with `tA`), `b` `[K, N]` (or `[N, K]` with `tB`). */
export function matmul64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  tA: boolean,
  tB: boolean,
): Product64 {
  const at = (i: number, p: number): number => (tA ? a[p * M + i]! : a[i * K + p]!);
  const bt = (p: number, j: number): number => (tB ? b[j * K + p]! : b[p * N + j]!);
  const rowNorm = new Float64Array(M);
  const colNorm = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let p = 0; p < K; p++) s += at(i, p) ** 2;
    rowNorm[i] = Math.sqrt(s);
  }
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let p = 0; p < K; p++) s += bt(p, j) ** 2;
    colNorm[j] = Math.sqrt(s);
  }
  const c = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += at(i, p) * bt(p, j);
      c[i * N + j] = s;
      scale[i * N + j] = rowNorm[i]! * colNorm[j]!;
    }
  }
  return { c, scale };
}

/** Plain row-major float64 `[m, k]·[k, n]`. */
function mm(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[p * n + j]!;
    }
  }
  return c;
}

function transpose64(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/**
 * The polynomial steps of `FusedKernels.newtonSchulz` in float64 for a row-major `[m, n]` input,
 * written from the formula: per coefficient triple `(a, b, c)`,
 * `X ← a·X + b·(XXᵀ)X + c·(XXᵀ)²X` (both Gram sides give this same polynomial). The ground truth
 * to test a backend's own Newton–Schulz kernel against; no normalization, no transpose.
 *
 * @example
 * ```ts
 * import { QUINTIC, polynomialSteps64 } from '@lmo/core/testing';
 * import { polynomialSteps64 } from '@lmo/core/testing';
 * const want = polynomialSteps64(x, 128, 512, Array(5).fill(QUINTIC));
 * ```
 */
export function polynomialSteps64(x: ArrayLike<number>, m: number, n: number, coefficients: readonly PolynomialCoefficients[]): Float64Array {
  let X = Float64Array.from(x);
  for (const [a, b, c] of coefficients) {
    const A = mm(X, transpose64(X, m, n), m, n, m);
    const AA = mm(A, A, m, m, m);
    const B = new Float64Array(m * m);
    for (let i = 0; i < B.length; i++) B[i] = b * A[i]! + c * AA[i]!;
    const BX = mm(B, X, m, m, n);
    const next = new Float64Array(m * n);
    for (let i = 0; i < next.length; i++) next[i] = a * X[i]! + BX[i]!;
    X = next;
  }
  return X;
}
