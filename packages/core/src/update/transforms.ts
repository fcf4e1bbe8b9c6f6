/**
 * The pieces of the LMO update, each one formula over the tensor contract (all on 2-D views).
 * The optimizer's rule composes them.
 */
import type { TensorBackend } from '../backend/contract.js';

/** Momentum as an exponential moving average: `d ← (1 − α)·d + α·g`. */
export function ema<T>(b: TensorBackend<T>, d: T, g: T, alpha: number): T {
  return b.axpby(1 - alpha, d, alpha, g);
}

/** ScionLight's accumulation: `G + g` (the backward pass adds a fresh gradient into `G`). */
export function accumulate<T>(b: TensorBackend<T>, G: T, g: T): T {
  return b.add(G, g);
}

/** ScionLight's decay after an update: `G ← (1 − α)·G`, so that `G_k = (1 − α)·G_{k−1} + g_k`. */
export function decay<T>(b: TensorBackend<T>, G: T, alpha: number): T {
  return b.scale(G, 1 - alpha);
}

/**
 * The step along an LMO direction `u = lmo(d)` with radius ρ and learning rate γ:
 * SCG (constrained) `x ← (1 − γ)·x − γρ·u`, which keeps `x` in the ρ-ball (an implicit weight
 * decay); uSCG (unconstrained) `x ← x − γρ·u`.
 */
export function lmoStep<T>(b: TensorBackend<T>, x: T, u: T, lr: number, radius: number, constrained: boolean): T {
  return b.axpby(constrained ? 1 - lr : 1, x, -lr * radius, u);
}

/** AdamW's moments: `m ← β₁·m + (1 − β₁)·g`, `v ← β₂·v + (1 − β₂)·g²`. */
export function adamMoments<T>(b: TensorBackend<T>, m: T, v: T, g: T, betas: readonly [number, number]): [m: T, v: T] {
  const [beta1, beta2] = betas;
  return [b.axpby(beta1, m, 1 - beta1, g), b.axpby(beta2, v, 1 - beta2, b.mul(g, g))];
}

/**
 * The divisor of global-norm clipping, as a `[1, 1]` tensor: `max(1, (‖g‖ + 10⁻⁶)/clip)` from
 * `Σ g²` over every clipped gradient, so that `g / divisor = g · min(1, clip/(‖g‖ + 10⁻⁶))`. The
 * maximum is `½(u + 1 + |u − 1|)`, a sum of non-negative terms (no cancellation), so it is exact
 * to a few ulps without a `max` primitive.
 */
export function clipDivisor<T>(b: TensorBackend<T>, sumSquares: T, clip: number): T {
  const u = b.scale(b.addScalar(b.sqrt(sumSquares), 1e-6), 1 / clip);
  return b.scale(b.add(b.addScalar(u, 1), b.abs(b.addScalar(u, -1))), 0.5);
}

/**
 * AdamW's step at step `t` (from 1) with bias correction and decoupled weight decay λ (`decay`
 * false: none): `x ← (1 − γλ)·x − γ/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)`.
 */
export function adamStep<T>(b: TensorBackend<T>, x: T, m: T, v: T, step: AdamStepSettings): T {
  const { lr, t, betas, eps, weightDecay } = step;
  const denominator = b.addScalar(b.scale(b.sqrt(v), 1 / Math.sqrt(1 - betas[1] ** t)), eps);
  return b.axpby(1 - lr * weightDecay, x, -lr / (1 - betas[0] ** t), b.div(m, denominator));
}

/** The numbers of one {@link adamStep}. */
export interface AdamStepSettings {
  readonly lr: number;
  /** The step, from 1. */
  readonly t: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  /** λ, or 0 for no decay. */
  readonly weightDecay: number;
}
