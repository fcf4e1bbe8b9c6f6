import type { GramSide, PolynomialCoefficients } from '../backend/contract.js';
import { gemm } from './matmul.js';
import { RefTensor, dims2 } from './tensor.js';

/**
 * The reference backend's fused `newtonSchulz` kernel (see `FusedKernels` in the contract): per
 * matrix of the batch and per triple `(a, b, c)`, on `'left'` `A = X·Xᵀ; B = b·A + c·A·A;
 * X ← a·X + B·X`, on `'right'` `A = Xᵀ·X; B = b·A + c·A·A; X ← a·X + X·B`.
 *
 * Faster than the same formula through the primitives: `A` and `A·A` are symmetric, so only their
 * upper triangles are computed, neither side needs a transpose, and the buffers are reused across
 * steps and matrices.
 */
export function newtonSchulz(xs: readonly RefTensor[], coefficients: readonly PolynomialCoefficients[], side: GramSide): RefTensor[] {
  if (xs.length === 0) return [];
  const [m, n] = dims2(xs[0]!, 'newtonSchulz');
  const left = side === 'left';
  const k = left ? m : n; // the Gram matrix is k × k
  const A = new Float32Array(k * k);
  const B = new Float32Array(k * k);
  return xs.map((x) => {
    dims2(x, 'newtonSchulz');
    let X = x.data.slice();
    let Y = new Float32Array(m * n);
    for (const [a, b, c] of coefficients) {
      A.fill(0);
      if (left) gemm(m, m, n, X, false, X, true, A, 1, true); // A = X·Xᵀ
      else gemm(n, n, m, X, true, X, false, A, 1, true); // A = Xᵀ·X
      for (let i = 0; i < A.length; i++) B[i] = b * A[i]!;
      gemm(k, k, k, A, false, A, false, B, c, true); // B = b·A + c·A·A
      for (let i = 0; i < X.length; i++) Y[i] = a * X[i]!;
      if (left) gemm(m, n, m, B, false, X, false, Y, 1, false); // Y = a·X + B·X
      else gemm(m, n, n, X, false, B, false, Y, 1, false); // Y = a·X + X·B
      const t = X;
      X = Y;
      Y = t;
    }
    return new RefTensor(X, [m, n]);
  });
}
