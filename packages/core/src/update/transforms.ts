/**
 * The pieces of the LMO update, each one formula over the tensor contract (all on 2-D views).
 * `UpdateRule` composes them; they are exported for adapters that compose their own step.
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
