/**
 * Newton–Schulz orthogonalization in float64, transcribed from docs/concepts/orthogonalization.md (not from src/):
 *
 *   X = g; if rows > cols work on Xᵀ; X ← X / (‖X‖_F + 1e-7)            (quintic)
 *                                      X ← X / (‖X‖_F · 1.02 + 1e-6)     (Polar Express)
 *   repeat: A = X·Xᵀ; B = b·A + c·A·A; X = a·X + B·X; transpose back.
 */
import { frob, lincomb, matmul, scaled, transpose, type M64 } from './matrix.js';

export type Method = 'quintic' | 'polar-express';

/** Keller Jordan's quintic, the same triple at every step. */
export const QUINTIC: readonly [number, number, number] = [3.4445, -4.775, 2.0315];

/** Polar Express (arXiv 2505.16932), 5 steps, safety 2e-2, cushion 2. */
export const POLAR_EXPRESS: readonly (readonly [number, number, number])[] = [
  [8.156554524902461, -22.48329292557795, 15.878769915207462],
  [4.042929935166739, -2.808917465908714, 0.5000178451051316],
  [3.8916678022926607, -2.772484153217685, 0.5060648178503393],
  [3.285753657755655, -2.3681294933425376, 0.46449024233003106],
  [2.3465413258596377, -1.7097828382687081, 0.42323551169305323],
];

/**
 * The triple for step `i` (0-based). The docs give Polar Express for 5 steps; beyond the fifth we
 * repeat the last triple (the choice documented by src/norms/newton-schulz.ts, not fixed by the spec).
 */
export function coefficients(method: Method, i: number): readonly [number, number, number] {
  if (method === 'quintic') return QUINTIC;
  return POLAR_EXPRESS[Math.min(i, POLAR_EXPRESS.length - 1)]!;
}

/** Newton–Schulz / Polar Express on a 2-D float64 matrix. */
export function newtonSchulz64(g: M64, steps: number, method: Method): M64 {
  const tall = g.rows > g.cols;
  let x = tall ? transpose(g) : g;
  const n = frob(x);
  x = method === 'quintic' ? scaled(x, 1 / (n + 1e-7)) : scaled(x, 1 / (n * 1.02 + 1e-6));
  for (let i = 0; i < steps; i++) {
    const [a, b, c] = coefficients(method, i);
    const gram = matmul(x, transpose(x));
    const poly = lincomb(b, gram, c, matmul(gram, gram));
    x = lincomb(a, x, 1, matmul(poly, x));
  }
  return tall ? transpose(x) : x;
}

/**
 * The scalar map φ the iteration applies to each normalized singular value `x ∈ (0, 1]`:
 * NS(g) = U · diag(φ(σ/(‖g‖_F·k + ε))) · Vᵀ. Exposed to measure the quintic's band.
 */
export function scalarIteration(x0: number, steps: number, method: Method): number {
  let x = x0;
  for (let i = 0; i < steps; i++) {
    const [a, b, c] = coefficients(method, i);
    x = a * x + b * x ** 3 + c * x ** 5;
  }
  return x;
}
