/**
 * Newton–Schulz orthogonalization in float64, written from the published descriptions (not from
 * src/):
 *
 *   X = g; if rows > cols work on Xᵀ;
 *   quintic:        X ← X / (‖X‖_F + 1e-7);        every step (a, b, c) = (3.4445, −4.7750, 2.0315)
 *   Polar Express:  X ← X / (‖X‖_F · 1.01 + 1e-7); step i uses the paper's i-th triple as p(x/1.01)
 *                   for i < 8 (a/1.01, b/1.01³, c/1.01⁵), the 8th triple unchanged from then on;
 *   repeat: A = X·Xᵀ; B = b·A + c·A·A; X = a·X + B·X; transpose back.
 */
import { frob, lincomb, matmul, scaled, transpose, type M64 } from './matrix.js';
import listing from './polar-express-listing.json' with { type: 'json' };

export type Method = 'quintic' | 'polar-express';

/** Keller Jordan's quintic, the same triple at every step. */
export const QUINTIC: readonly [number, number, number] = [3.4445, -4.775, 2.0315];

/** Polar Express (Amsel et al., arXiv 2505.16932), the code listing's triples for ℓ = 1e-3, before the safety factor. */
export const POLAR_EXPRESS_LISTING = listing.triples as unknown as ReadonlyArray<readonly [number, number, number]>;

/** The triple for step `i` (0-based). */
export function coefficients(method: Method, i: number): readonly [number, number, number] {
  if (method === 'quintic') return QUINTIC;
  const k = Math.min(i, POLAR_EXPRESS_LISTING.length - 1);
  const [a, b, c] = POLAR_EXPRESS_LISTING[k]!;
  if (k === POLAR_EXPRESS_LISTING.length - 1) return [a, b, c];
  // p(x/1.01) = a·x/1.01 + b·x³/1.01³ + c·x⁵/1.01⁵
  return [a / 1.01, b / 1.01 ** 3, c / 1.01 ** 5];
}

/** Newton–Schulz / Polar Express on a 2-D float64 matrix. */
export function newtonSchulz64(g: M64, steps: number, method: Method): M64 {
  const tall = g.rows > g.cols;
  let x = tall ? transpose(g) : g;
  const n = frob(x);
  x = method === 'quintic' ? scaled(x, 1 / (n + 1e-7)) : scaled(x, 1 / (n * 1.01 + 1e-7));
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
