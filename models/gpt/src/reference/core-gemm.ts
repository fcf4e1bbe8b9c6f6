import { matmul } from '@lmo/core/reference';
import type { Gemm } from './kernels/gemm.js';

/**
 * Core's cache-blocked, register-tiled float32 matmul behind the model's {@link Gemm} signature
 * (the model's buffers may be longer than one product: views are taken to the exact sizes).
 */
export const coreGemm: Gemm = (m, n, k, a, transA, b, transB, c, accumulate) => {
  matmul(
    a.subarray(0, m * k) as Float32Array,
    transA ? [k, m] : [m, k],
    b.subarray(0, k * n) as Float32Array,
    transB ? [n, k] : [k, n],
    { transposeA: transA, transposeB: transB, out: c.subarray(0, m * n) as Float32Array, accumulate },
  );
};
