import type { NewtonSchulzCoefficients } from '../backend.js';
import { gemm } from './matmul.js';
import { RefTensor, dims2 } from './tensor.js';

/**
 * The fused Newton–Schulz kernel (`FusedKernels.newtonSchulz`) of the reference backend:
 * `X ← x / (‖x‖_F·normScale + normEps)`, then per triple `(a, b, c)`:
 * `A = X·Xᵀ; B = b·A + c·A·A; X = a·X + B·X`.
 *
 * Faster than the same formula through the primitives because `A` and `A·A` are symmetric, so
 * only their upper triangles are computed (a third fewer flops for a square `x`), and all
 * buffers are reused across steps. Written for `m ≤ n` (core transposes tall inputs); any
 * shape gives the formula's result.
 */
export function newtonSchulz(
  x: RefTensor,
  coefficients: readonly NewtonSchulzCoefficients[],
  normScale: number,
  normEps: number,
): RefTensor {
  const [m, n] = dims2(x, 'newtonSchulz');
  const src = x.data;
  let ss = 0;
  for (let i = 0; i < src.length; i++) ss += src[i]! * src[i]!;
  const inv = 1 / (Math.sqrt(ss) * normScale + normEps);
  let X = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) X[i] = src[i]! * inv;

  const A = new Float32Array(m * m);
  const B = new Float32Array(m * m);
  let Y = new Float32Array(m * n);
  for (const [a, b, c] of coefficients) {
    A.fill(0);
    gemm(m, m, n, X, false, X, true, A, 1, true); // A = X·Xᵀ
    for (let i = 0; i < A.length; i++) B[i] = b * A[i]!;
    gemm(m, m, m, A, false, A, false, B, c, true); // B = b·A + c·A·A
    for (let i = 0; i < X.length; i++) Y[i] = a * X[i]!;
    gemm(m, n, m, B, false, X, false, Y, 1, false); // Y = a·X + B·X
    const t = X;
    X = Y;
    Y = t;
  }
  return new RefTensor(X, [m, n]);
}
