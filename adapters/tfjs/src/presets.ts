import { presetOptions, type PresetName } from '@lmo/core';
import type { ScionOptimizerOptions } from './options.js';
import { ScionOptimizer } from './optimizer.js';

/** Preset options: everything of {@link ScionOptimizerOptions} except what the preset fixes. */
export type TfjsPresetOptions = Omit<ScionOptimizerOptions, 'unconstrained' | 'light'>;

/** A `ScionOptimizer` with core's preset `name` (its fixed options and its defaults). */
function preset(name: PresetName) {
  return (options: TfjsPresetOptions): ScionOptimizer => new ScionOptimizer(presetOptions(name, options as ScionOptimizerOptions));
}

/**
 * `@lmo/core`'s presets as tfjs optimizers, in one namespace mirroring `tf.train`: swap
 * `tf.train.adam(1e-3)` for `train.scion({ lr: 2 ** -8 })`. Each is core's preset of the same name
 * (the same fixed options and defaults), built as a {@link ScionOptimizer}:
 *
 * - `train.scion`: SCG, `x ← (1 − γ)·x − γρ·lmo(d)`, momentum 0.1, norms from `groups` (default `auto()`);
 * - `train.unconstrainedScion`: uSCG, `x ← x − γρ·lmo(d)`;
 * - `train.scionLight`: the gradient buffer `G` is the direction (`G ← G + g`, update along `lmo(G)`,
 *   then `G ← (1 − α)·G`); tfjs hands the optimizer fresh gradients, so `G` is the one buffer per variable;
 * - `train.muon`: uSCG, momentum 0.05, `muonNorm()` unless `groups` are given;
 * - `train.signSGD`: `x ← x − γ·sign(g)` (no momentum unless given);
 * - `train.normalizedSGD`: `x ← x − γ·g/‖g‖_F` per variable (no momentum unless given).
 */
export const train = {
  scion: preset('scion'),
  unconstrainedScion: preset('unconstrainedScion'),
  scionLight: (options: TfjsPresetOptions & { readonly unconstrained?: boolean }): ScionOptimizer =>
    new ScionOptimizer(presetOptions('scionLight', options as ScionOptimizerOptions)),
  muon: preset('muon'),
  signSGD: preset('signSGD'),
  normalizedSGD: preset('normalizedSGD'),
} as const;
