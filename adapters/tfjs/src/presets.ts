import { frobenius, muonNorm, signUnscaled } from '@lmo/core';
import type { ScionOptimizerOptions } from './options.js';
import { ScionOptimizer } from './optimizer.js';

/** Preset options: everything of {@link ScionOptimizerOptions} except what the preset fixes. */
export type TfjsPresetOptions = Omit<ScionOptimizerOptions, 'unconstrained' | 'light'>;

/**
 * Scion (SCG): `x ← (1 − γ)·x − γρ·lmo(d)`, momentum 0.1; norms from `groups` (default `auto()`).
 * The drop-in for `tf.train.adam(…)`.
 */
export function scion(options: TfjsPresetOptions): ScionOptimizer {
  return new ScionOptimizer({ ...options, unconstrained: false });
}

/** Unconstrained Scion (uSCG): `x ← x − γρ·lmo(d)`. */
export function unconstrainedScion(options: TfjsPresetOptions): ScionOptimizer {
  return new ScionOptimizer({ ...options, unconstrained: true });
}

/**
 * ScionLight: the gradient buffer `G` is the direction (`G ← G + g`, update along `lmo(G)`, then
 * `G ← (1 − α)·G`). tfjs hands the optimizer fresh gradients, so `G` is the one buffer per
 * variable, like Scion's momentum; it saves a buffer where gradients are accumulated anyway.
 */
export function scionLight(options: TfjsPresetOptions & { readonly unconstrained?: boolean }): ScionOptimizer {
  return new ScionOptimizer({ ...options, light: true });
}

/** Muon-style: uSCG, momentum 0.05, core's `muonNorm()` (spectral with `max(1, √(d_out/d_in))`) unless `groups` are given. */
export function muon(options: TfjsPresetOptions): ScionOptimizer {
  return new ScionOptimizer({ momentum: 0.05, ...(options.groups ? {} : { norm: muonNorm() }), ...options, unconstrained: true });
}

/** signSGD: `x ← x − γ·sign(g)` (no momentum unless given). */
export function signSGD(options: TfjsPresetOptions): ScionOptimizer {
  return new ScionOptimizer({ momentum: 1, ...(options.groups ? {} : { norm: signUnscaled() }), ...options, unconstrained: true });
}

/** Normalized SGD: `x ← x − γ·g/‖g‖_F` per variable (no momentum unless given). */
export function normalizedSGD(options: TfjsPresetOptions): ScionOptimizer {
  return new ScionOptimizer({ momentum: 1, ...(options.groups ? {} : { norm: frobenius() }), ...options, unconstrained: true });
}

/**
 * The factories in one namespace, mirroring `tf.train`: swap `tf.train.adam(1e-3)` for
 * `train.scion({ lr: 2 ** -8 })`.
 */
export const train = { scion, unconstrainedScion, scionLight, muon, signSGD, normalizedSGD } as const;
