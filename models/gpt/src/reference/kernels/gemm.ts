import type { FloatArray } from './types.js';

/**
 * `C[m,n] = op(A)·op(B)` (or `+=` with `accumulate`), row-major, where `op(A)` is `[m,k]` and `op(B)` is `[k,n]`.
 * With `transA` A is stored `[k,m]`; with `transB` B is stored `[n,k]`.
 *
 * This is the benchmark's own small kernel so that the model does not depend on the shape of core's
 * reference matmul; `setGemm` swaps in a faster float32 kernel. Every case keeps its innermost loop
 * contiguous; the dot-product case (the forward pass of every linear layer) is register-tiled 2×4.
 */
export type Gemm = (
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  transA: boolean,
  b: FloatArray,
  transB: boolean,
  c: FloatArray,
  accumulate: boolean,
) => void;

let f32Kernel: Gemm | undefined;

/** Installs a float32 kernel used whenever all three buffers are Float32Arrays. */
export function setGemm(kernel: Gemm | undefined): void {
  f32Kernel = kernel;
}

export const gemm: Gemm = (m, n, k, a, transA, b, transB, c, accumulate) => {
  if (f32Kernel !== undefined && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) {
    f32Kernel(m, n, k, a, transA, b, transB, c, accumulate);
    return;
  }
  localGemm(m, n, k, a, transA, b, transB, c, accumulate);
};

export const localGemm: Gemm = (m, n, k, a, transA, b, transB, c, accumulate) => {
  if (transA && transB) throw new Error('gemm: transA with transB is not needed by the model');
  if (!accumulate) c.fill(0, 0, m * n);
  if (transB) gemmNT(m, n, k, a, b, c);
  else if (transA) gemmTN(m, n, k, a, b, c);
  else gemmNN(m, n, k, a, b, c);
};

/** C += A[m,k]·B[k,n] (i-k-j order). */
function gemmNN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p]!;
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
    }
  }
}

/** C += Aᵀ·B with A stored [k,m], B [k,n]. */
function gemmTN(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let p = 0; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const av = a[ap + i]!;
      if (av === 0) continue;
      const ci = i * n;
      for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
    }
  }
}

/** C += A·Bᵀ with B stored [n,k]: dot products of rows, tiled 2 rows × 4 columns. */
function gemmNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p]!;
        const x1 = a[a1 + p]!;
        const y0 = b[b0 + p]!;
        const y1 = b[b1 + p]!;
        const y2 = b[b2 + p]!;
        const y3 = b[b3 + p]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      const c0 = i * n + j;
      const c1 = c0 + n;
      c[c0]! += s00; c[c0 + 1]! += s01; c[c0 + 2]! += s02; c[c0 + 3]! += s03;
      c[c1]! += s10; c[c1 + 1]! += s11; c[c1 + 2]! += s12; c[c1 + 3]! += s13;
    }
    for (; j < n; j++) {
      const bj = j * k;
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        const y = b[bj + p]!;
        s0 += a[a0 + p]! * y;
        s1 += a[a1 + p]! * y;
      }
      c[i * n + j]! += s0;
      c[(i + 1) * n + j]! += s1;
    }
  }
  for (; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      c[i * n + j]! += s;
    }
  }
}
