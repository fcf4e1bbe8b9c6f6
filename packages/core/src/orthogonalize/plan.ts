import type { GramSide, PolynomialCoefficients } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { POLAR_EXPRESS, POLAR_EXPRESS_SAFETY, QUINTIC } from './coefficients.js';

/** How to orthogonalize: Keller Jordan's quintic, or Polar Express (arXiv 2505.16932). */
export type OrthogonalizationMethod = 'quintic' | 'polar-express';

/** The methods, for validation and messages. */
export const ORTHOGONALIZATION_METHODS: readonly OrthogonalizationMethod[] = ['quintic', 'polar-express'];

/**
 * Everything an orthogonalization does, as data: normalize `X₀ = G / (‖G‖_F·normScale + normEps)`,
 * then one polynomial step per coefficient triple (see `FusedKernels.newtonSchulz`), forming the
 * smaller Gram matrix ({@link gramSide}).
 */
export interface OrthogonalizationPlan {
  readonly method: OrthogonalizationMethod;
  /** One triple per step, in order. */
  readonly coefficients: readonly PolynomialCoefficients[];
  readonly normScale: number;
  readonly normEps: number;
}

/**
 * The plan for `steps` iterations of `method`:
 * - `'quintic'`: `X₀ = G / (‖G‖_F + 10⁻⁷)`, then the quintic at every step;
 * - `'polar-express'`: `X₀ = G / (‖G‖_F·1.01 + 10⁻⁷)`, then the paper's triples in order, the
 *   last repeating beyond eight steps.
 */
export function orthogonalizationPlan(method: OrthogonalizationMethod, steps: number): OrthogonalizationPlan {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new LmoError('INVALID_HYPERPARAMETER', `orthogonalization steps must be a positive integer, got ${shown(steps)}`);
  }
  switch (method) {
    case 'quintic':
      return { method, coefficients: Array.from({ length: steps }, () => QUINTIC), normScale: 1, normEps: 1e-7 };
    case 'polar-express': {
      const last = POLAR_EXPRESS[POLAR_EXPRESS.length - 1]!;
      const coefficients = Array.from({ length: steps }, (_, i) => POLAR_EXPRESS[i] ?? last);
      return { method, coefficients, normScale: POLAR_EXPRESS_SAFETY, normEps: 1e-7 };
    }
    default:
      throw new LmoError(
        'UNKNOWN_NORM',
        `orthogonalization method must be ${ORTHOGONALIZATION_METHODS.map((m) => `"${m}"`).join(' or ')}, got "${shown(method)}"`,
      );
  }
}

/** The Gram side of a `rows × cols` matrix: the smaller of `X·Xᵀ` (`'left'`) and `Xᵀ·X` (`'right'`). */
export function gramSide(rows: number, cols: number): GramSide {
  return rows > cols ? 'right' : 'left';
}
