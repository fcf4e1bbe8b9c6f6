import type { ExecutionMode, StorageDtype, TensorBackend } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import type { Schedule } from '../schedules/schedules.js';
import { checkKeys } from './checks.js';
import { createOptimizer, type LmoOptimizer } from './optimizer.js';
import type { AdamWSettings, Compensation, NonFinitePolicy } from './options.js';
import type { NamedTensors } from './parameters.js';

/** Options of {@link adamw}: nanoGPT's AdamW settings, the learning rate and schedule, and clipping. */
export interface AdamWOptions extends AdamWSettings {
  /** Learning rate γ (finite, ≥ 0), e.g. `1e-3`. */
  readonly lr: number;
  /** Multiplies γ at each step (`schedule(stepCount)`), e.g. `warmupCosine(…)`. Default: constant 1. */
  readonly schedule?: Schedule;
  /**
   * Global gradient-norm clipping (`clip_grad_norm_`): every gradient is scaled by
   * `min(1, clip/(‖g‖ + 10⁻⁶))`, `‖g‖` over all parameters together. Default `1` (nanoGPT's);
   * `Infinity` turns it off.
   */
  readonly clip?: number;
  /** NaN/Inf gradient policy, as for the LMO optimizers. Default `'throw'`. */
  readonly nonFinite?: NonFinitePolicy;
  /** The storage dtype of the moments `m` and `v` (see `OptimizerOptions.bufferDtype`). Default `'float32'`. */
  readonly bufferDtype?: StorageDtype;
  /** How 16-bit parameters take their updates (see `OptimizerOptions.compensation`). */
  readonly compensation?: Compensation;
  /** The seed of `compensation: 'stochastic'` (see `OptimizerOptions.roundingSeed`). */
  readonly roundingSeed?: number;
}

const KEYS = ['lr', 'schedule', 'clip', 'nonFinite', 'betas', 'eps', 'weightDecay', 'bufferDtype', 'compensation', 'roundingSeed'] as const;

/**
 * AdamW as nanoGPT trains with it (PyTorch's `AdamW` after `clip_grad_norm_`): per parameter at
 * step `t` (from 1), with the gradient `g` scaled by the clip coefficient,
 *
 * ```
 * m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
 * x ← (1 − γλ)·x − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)      (λ on rank ≥ 2 only)
 * ```
 *
 * with β = (0.9, 0.99), ε = 10⁻⁸, λ = 0.1 and clipping at 1 by default. It is core's
 * {@link LmoOptimizer} with one AdamW group: the same `step`, state format, validation and
 * non-finite policy as Scion, so the two compare (or pair: give a Scion optimizer an AdamW group,
 * `{ match, adamw: {} }`) on equal terms. On a backend that keeps host arrays (`@lmo/onnxruntime`)
 * each step is one WebAssembly SIMD pass over flat memory instead of a graph (float32 moments and
 * no compensation; 16-bit moments or a compensation run as a graph).
 */
export function adamw<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: AdamWOptions): LmoOptimizer<T, M> {
  if (options === null || typeof options !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', 'adamw options must be an object with at least { lr }');
  checkKeys(options, KEYS, 'adamw options', 'adamw');
  const { lr, schedule, clip = 1, nonFinite, betas, eps, weightDecay, bufferDtype, compensation, roundingSeed } = options;
  const settings = { ...(betas !== undefined ? { betas } : {}), ...(eps !== undefined ? { eps } : {}), ...(weightDecay !== undefined ? { weightDecay } : {}) };
  return createOptimizer(backend, params, {
    lr,
    ...(schedule !== undefined ? { schedule } : {}),
    ...(nonFinite !== undefined ? { nonFinite } : {}),
    ...(clip !== Infinity ? { clip } : {}),
    ...(bufferDtype !== undefined ? { bufferDtype } : {}),
    ...(compensation !== undefined ? { compensation } : {}),
    ...(roundingSeed !== undefined ? { roundingSeed } : {}),
    groups: [{ name: 'adamw', adamw: settings }],
  });
}
