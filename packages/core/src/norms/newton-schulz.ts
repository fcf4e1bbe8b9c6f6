import type { NewtonSchulzCoefficients, TensorBackend } from '../backend.js';
import { LmoError } from '../errors.js';

/** How to orthogonalize a matrix: Keller Jordan's quintic, or Polar Express (arXiv 2505.16932). */
export type OrthogonalizationMethod = 'quintic' | 'polar-express';

/** The quintic `(a, b, c) = (3.4445, −4.7750, 2.0315)`, used at every step. */
export const QUINTIC_COEFFICIENTS: NewtonSchulzCoefficients = [3.4445, -4.775, 2.0315];

/** Polar Express, 5 steps, safety 2e-2, cushion 2: one triple per step (the last repeats beyond 5). */
export const POLAR_EXPRESS_COEFFICIENTS: readonly NewtonSchulzCoefficients[] = [
  [8.156554524902461, -22.48329292557795, 15.878769915207462],
  [4.042929935166739, -2.808917465908714, 0.5000178451051316],
  [3.8916678022926607, -2.772484153217685, 0.5060648178503393],
  [3.285753657755655, -2.3681294933425376, 0.46449024233003106],
  [2.3465413258596377, -1.7097828382687081, 0.42323551169305323],
];

/** The coefficient schedule and pre-normalization `X / (‖X‖_F · normScale + normEps)` of a method. */
export interface OrthogonalizationPlan {
  readonly coefficients: readonly NewtonSchulzCoefficients[];
  readonly normScale: number;
  readonly normEps: number;
}

/** The plan for `steps` iterations of `method`. */
export function orthogonalizationPlan(method: OrthogonalizationMethod, steps: number): OrthogonalizationPlan {
  switch (method) {
    case 'quintic':
      return { coefficients: Array.from({ length: steps }, () => QUINTIC_COEFFICIENTS), normScale: 1, normEps: 1e-7 };
    case 'polar-express': {
      const last = POLAR_EXPRESS_COEFFICIENTS[POLAR_EXPRESS_COEFFICIENTS.length - 1]!;
      const coefficients = Array.from({ length: steps }, (_, i) => POLAR_EXPRESS_COEFFICIENTS[i] ?? last);
      return { coefficients, normScale: 1.02, normEps: 1e-6 };
    }
    default:
      throw new LmoError('UNKNOWN_NORM', `orthogonalization method must be "quintic" or "polar-express", got "${String(method)}"`);
  }
}

/**
 * Approximates the orthogonal polar factor `UVᵀ` of a 2-D `g = UΣVᵀ` by Newton–Schulz:
 * `X = g / (‖g‖_F · normScale + normEps)`; per step `A = X·Xᵀ; B = b·A + c·A²; X = a·X + B·X`.
 *
 * For a tall `g` (rows > cols) the iteration runs on `gᵀ`; written with `A = XᵀX` and `X ← a·X + X·B`
 * (B is symmetric) it needs no transposes. Uses the backend's fused kernel when it has one.
 */
export function orthogonalize<T>(backend: TensorBackend<T>, g: T, plan: OrthogonalizationPlan): T {
  const [rows, cols] = backend.shape(g) as [number, number];
  const tall = rows > cols;
  const fused = backend.fused?.newtonSchulz;
  if (fused) {
    if (!tall) return fused(g, plan.coefficients, plan.normScale, plan.normEps);
    return backend.transpose(fused(backend.transpose(g), plan.coefficients, plan.normScale, plan.normEps));
  }
  const frob = backend.sqrt(backend.sumSquares(g));
  let x = backend.div(g, backend.addScalar(backend.scale(frob, plan.normScale), plan.normEps));
  for (const [a, b, c] of plan.coefficients) {
    const gram = tall ? backend.matmul(x, x, { transposeA: true }) : backend.matmul(x, x, { transposeB: true });
    const poly = backend.axpby(b, gram, c, backend.matmul(gram, gram));
    const product = tall ? backend.matmul(x, poly) : backend.matmul(poly, x);
    x = backend.axpby(a, x, 1, product);
  }
  return x;
}
