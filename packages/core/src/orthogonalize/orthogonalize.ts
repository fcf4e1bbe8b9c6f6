import type { GramSide, PolynomialCoefficients, TensorBackend } from '../backend/contract.js';
import { scaleFree } from '../norms/scale-free.js';
import { gramSide, type OrthogonalizationPlan } from './plan.js';

/**
 * Approximates the orthogonal polar factor `UVᵀ` of each 2-D `g = UΣVᵀ` in `gs` (all of one
 * shape) by the plan: `X₀ = g / (‖g‖_F·normScale + normEps)`, then per triple `(a, b, c)` the odd
 * polynomial step on the smaller Gram side. The normalization divides by `max|g|` before squaring
 * (see {@link scaleFree}), so any finite input normalizes without overflow. The polynomial steps
 * go to the backend's fused kernel when it has one (one call for the whole batch).
 */
export function orthogonalize<T>(b: TensorBackend<T>, gs: readonly T[], plan: OrthogonalizationPlan): T[] {
  if (gs.length === 0) return [];
  const [rows, cols] = b.shape(gs[0]!) as [number, number];
  const side = gramSide(rows, cols);
  const xs = gs.map((g) => {
    const { scaled, epsOver } = scaleFree(b, g, plan.normEps);
    const frob = b.sqrt(b.sumSquares(scaled));
    return b.div(scaled, b.add(b.scale(frob, plan.normScale), epsOver));
  });
  const fused = b.fused?.newtonSchulz;
  if (fused !== undefined) return fused.call(b.fused, xs, plan.coefficients, side);
  return xs.map((x) => polynomialSteps(b, x, plan.coefficients, side));
}

/** The polynomial steps through the primitives (what a fused `newtonSchulz` kernel computes). */
export function polynomialSteps<T>(b: TensorBackend<T>, x: T, coefficients: readonly PolynomialCoefficients[], side: GramSide): T {
  const left = side === 'left';
  for (const [a, bb, c] of coefficients) {
    const gram = left ? b.matmul(x, x, { transposeB: true }) : b.matmul(x, x, { transposeA: true });
    const poly = b.axpby(bb, gram, c, b.matmul(gram, gram));
    x = b.axpby(a, x, 1, left ? b.matmul(poly, x) : b.matmul(x, poly));
  }
  return x;
}
