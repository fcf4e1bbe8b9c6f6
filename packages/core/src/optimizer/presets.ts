import type { ExecutionMode, TensorBackend } from '../backend/contract.js';
import { frobenius } from '../norms/frobenius.js';
import { muonNorm } from '../norms/muon.js';
import type { Norm } from '../norms/norm.js';
import { signUnscaled } from '../norms/sign.js';
import { createOptimizer, type LmoOptimizer, type LmoOptimizerOptions, type NamedTensors } from './optimizer.js';

/** Preset options: everything of {@link LmoOptimizerOptions} except what the preset fixes. */
export type PresetOptions<T = unknown> = Omit<LmoOptimizerOptions<T>, 'unconstrained' | 'light'>;

/**
 * Scion: the constrained update (SCG), `x ← (1 − γ)·x − γρ·lmo(d)`, momentum 0.1 by default.
 * Give per-layer norms with `groups` (see `transformerGroups` and the guide "Choosing norms");
 * the default norm is `auto()`.
 */
export function scion<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, { ...options, unconstrained: false });
}

/** Unconstrained Scion (uSCG): `x ← x − γρ·lmo(d)`. */
export function unconstrainedScion<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T>,
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, { ...options, unconstrained: true });
}

/**
 * ScionLight: Scion without a momentum buffer. The gradient buffer `G` is the direction; after
 * each update `G ← (1 − α)·G`, and the next backward pass accumulates into it (`G += g`). See
 * `LmoOptimizer.gradients`.
 */
export function scionLight<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T> & { readonly unconstrained?: boolean },
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, { ...options, light: true });
}

/** An unconstrained preset: momentum and norm defaults that the options (or their `groups`) may override. */
function unconstrainedPreset<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T>,
  defaults: { readonly momentum: number; readonly norm: () => Norm },
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, {
    ...options,
    // `??`, not a spread default: `{ momentum: undefined }` must keep the preset's value.
    momentum: options.momentum ?? defaults.momentum,
    ...(options.groups ? {} : { norm: options.norm ?? defaults.norm() }),
    unconstrained: true,
  });
}

/**
 * Muon-style: unconstrained, momentum 0.05 (β = 0.95; no Nesterov), orthogonalized updates on
 * matrices (`muonNorm()`). Pass `groups` to route, e.g., embeddings elsewhere.
 */
export function muon<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return unconstrainedPreset(backend, params, options, { momentum: 0.05, norm: muonNorm });
}

/** signSGD: `x ← x − γ·sign(g)` (unconstrained, no momentum unless given, ℓ∞ LMO on every parameter). */
export function signSGD<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return unconstrainedPreset(backend, params, options, { momentum: 1, norm: signUnscaled });
}

/** Normalized SGD: `x ← x − γ·g/‖g‖_F` per parameter (unconstrained, no momentum unless given). */
export function normalizedSGD<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T>,
): LmoOptimizer<T, M> {
  return unconstrainedPreset(backend, params, options, { momentum: 1, norm: frobenius });
}
