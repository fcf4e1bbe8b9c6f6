/**
 * Float64 singular value decomposition by one-sided (Hestenes) Jacobi rotations: orthogonalize the
 * columns of a tall copy of the matrix by plane rotations until every pair is orthogonal to working
 * precision; the column lengths are then the singular values. Slow (O(n³) per sweep) but simple and
 * accurate to a few ulps, which is what an oracle needs.
 */
import { mat, matmul, transpose, type M64 } from './matrix.js';

/** Thin SVD `a = U · diag(sigma) · Vᵀ`: `U` is `m×k`, `V` is `n×k`, `k = min(m, n)`, `sigma` descending. */
export interface Svd {
  readonly u: M64;
  readonly sigma: Float64Array;
  readonly v: M64;
}

export function svd(a: M64): Svd {
  if (a.rows < a.cols) {
    const t = svd(transpose(a));
    return { u: t.v, sigma: t.sigma, v: t.u };
  }
  const m = a.rows;
  const n = a.cols;
  // Column-major working copies: w[j] is column j of the rotated A, v[j] column j of V.
  const w: Float64Array[] = [];
  const v: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    for (let i = 0; i < m; i++) col[i] = a.data[i * n + j]!;
    w.push(col);
    const e = new Float64Array(n);
    e[j] = 1;
    v.push(e);
  }
  const tol = 1e-15;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const wp = w[p]!;
        const wq = w[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += wp[i]! * wp[i]!;
          beta += wq[i]! * wq[i]!;
          gamma += wp[i]! * wq[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = wp[i]!;
          const y = wq[i]!;
          wp[i] = c * x - s * y;
          wq[i] = s * x + c * y;
        }
        const vp = v[p]!;
        const vq = v[q]!;
        for (let i = 0; i < n; i++) {
          const x = vp[i]!;
          const y = vq[i]!;
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = w.map((col) => Math.sqrt(col.reduce((acc, x) => acc + x * x, 0)));
  const order = norms.map((_, j) => j).sort((i, j) => norms[j]! - norms[i]!);
  const u = mat(m, n);
  const vm = mat(n, n);
  const sigma = new Float64Array(n);
  order.forEach((src, dst) => {
    const s = norms[src]!;
    sigma[dst] = s;
    const col = w[src]!;
    for (let i = 0; i < m; i++) u.data[i * n + dst] = s > 0 ? col[i]! / s : 0;
    const vc = v[src]!;
    for (let i = 0; i < n; i++) vm.data[i * n + dst] = vc[i]!;
  });
  return { u, sigma, v: vm };
}

/** The singular values of `a`, descending. */
export function singularValues(a: M64): Float64Array {
  return svd(a).sigma;
}

/**
 * The orthogonal polar factor `U·Vᵀ` of `a` (the exact spectral LMO up to scale). Directions whose
 * singular value is below `relTol · σ_max` (or exactly zero) are dropped, so `polar(0) = 0`.
 */
export function polarFactor(a: M64, relTol = 0): M64 {
  const { u, sigma, v } = svd(a);
  const k = sigma.length;
  const top = sigma[0] ?? 0;
  const keep = mat(u.rows, k);
  for (let j = 0; j < k; j++) {
    const s = sigma[j]!;
    if (s === 0 || s <= relTol * top) continue;
    for (let i = 0; i < u.rows; i++) keep.data[i * k + j] = u.data[i * k + j]!;
  }
  return matmul(keep, transpose(v));
}

/** `Σ σ_i`, the nuclear (trace) norm. */
export function nuclearNorm(a: M64): number {
  return singularValues(a).reduce((acc, s) => acc + s, 0);
}

/** `σ_max`, the spectral norm. */
export function spectralNorm(a: M64): number {
  return singularValues(a)[0] ?? 0;
}
