import type { ExecutionMode, TensorBackend } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { frobenius } from '../norms/frobenius.js';
import { muonNorm } from '../norms/muon.js';
import type { Norm } from '../norms/norm.js';
import { signUnscaled } from '../norms/sign.js';
import { createOptimizer, type LmoOptimizer, type LmoOptimizerOptions } from './optimizer.js';
import type { OptimizerOptions } from './options.js';
import type { NamedTensors } from './parameters.js';

/** Preset options: everything of {@link LmoOptimizerOptions} except what the preset fixes. */
export type PresetOptions<T = unknown> = Omit<LmoOptimizerOptions<T>, 'unconstrained' | 'light'>;

interface Preset {
  /** Options the preset sets whatever the caller gives. */
  readonly fixed: Pick<OptimizerOptions, 'unconstrained' | 'light'>;
  /** Defaults for what the caller leaves out (`undefined` counts as left out). */
  readonly momentum?: number;
  /** The norm of the single group when the caller gives no `groups` (and no `norm`). */
  readonly norm?: () => Norm;
}

/** Every preset, in one table: what each fixes, and its defaults. */
const PRESETS = {
  /** Scion: SCG, `x ← (1 − γ)·x − γρ·lmo(d)`. */
  scion: { fixed: { unconstrained: false } },
  /** uSCG: `x ← x − γρ·lmo(d)`. */
  unconstrainedScion: { fixed: { unconstrained: true } },
  /** ScionLight: no momentum buffer; the gradient buffer `G` is the direction. */
  scionLight: { fixed: { light: true } },
  /** Muon-style: uSCG, momentum 0.05 (β = 0.95), `muonNorm()`. */
  muon: { fixed: { unconstrained: true }, momentum: 0.05, norm: muonNorm },
  /** signSGD: uSCG, no momentum, `signUnscaled()`. */
  signSGD: { fixed: { unconstrained: true }, momentum: 1, norm: signUnscaled },
  /** Normalized SGD: uSCG, no momentum, `frobenius()`. */
  normalizedSGD: { fixed: { unconstrained: true }, momentum: 1, norm: frobenius },
} as const satisfies Record<string, Preset>;

/** The name of a preset: `'scion'`, `'unconstrainedScion'`, `'scionLight'`, `'muon'`, `'signSGD'`, `'normalizedSGD'`. */
export type PresetName = keyof typeof PRESETS;

/**
 * The options preset `name` builds its optimizer from: `options` with the preset's fixed options
 * and its defaults for what they leave out (`{ momentum: undefined }` keeps the preset's value).
 * For recording what a preset sets (`optionsToJSON(presetOptions('muon', { lr }))`), and for
 * adapters that wrap core's optimizer in a framework's optimizer class, so that their presets are
 * core's. Other keys of `options` (an adapter's own) are kept.
 */
export function presetOptions<O extends { readonly momentum?: number; readonly norm?: Norm; readonly groups?: readonly unknown[]; readonly unconstrained?: boolean }>(
  name: PresetName,
  options: O,
): O & Pick<OptimizerOptions, 'momentum' | 'norm' | 'unconstrained' | 'light'> {
  const preset: Preset = PRESETS[name];
  if (preset === undefined) throw new LmoError('INVALID_HYPERPARAMETER', `presetOptions: unknown preset "${shown(name)}" (presets are ${Object.keys(PRESETS).join(', ')})`);
  const momentum = options.momentum ?? preset.momentum;
  const norm = options.groups === undefined ? (options.norm ?? preset.norm?.()) : options.norm;
  return {
    ...options,
    ...(momentum !== undefined ? { momentum } : {}),
    ...(norm !== undefined ? { norm } : {}),
    ...preset.fixed,
  };
}

/**
 * Scion: the constrained update (SCG), `x ← (1 − γ)·x − γρ·lmo(d)`, momentum 0.1 by default.
 * Give per-layer norms with `groups` (see `transformerGroups` and the guide "Choosing norms");
 * the default norm is `auto()`.
 */
export function scion<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('scion', options));
}

/** Unconstrained Scion (uSCG): `x ← x − γρ·lmo(d)`. */
export function unconstrainedScion<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T>,
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('unconstrainedScion', options));
}

/**
 * ScionLight: Scion without a momentum buffer. The gradient buffer `G` is the direction; after
 * each update `G ← (1 − α)·G`, and the next backward pass accumulates into it (`G += g`). See
 * `LmoOptimizer.gradients`. `unconstrained: true` gives the unconstrained update.
 */
export function scionLight<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T> & { readonly unconstrained?: boolean },
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('scionLight', options));
}

/**
 * Muon-style: unconstrained, momentum 0.05 (β = 0.95; no Nesterov), orthogonalized updates on
 * matrices (`muonNorm()`). Pass `groups` to route, e.g., embeddings elsewhere (an AdamW group,
 * `{ adamw: {} }`, is Muon's usual companion).
 */
export function muon<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('muon', options));
}

/** signSGD: `x ← x − γ·sign(g)` (unconstrained, no momentum unless given, ℓ∞ LMO on every parameter). */
export function signSGD<T, M extends ExecutionMode>(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: PresetOptions<T>): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('signSGD', options));
}

/** Normalized SGD: `x ← x − γ·g/‖g‖_F` per parameter (unconstrained, no momentum unless given). */
export function normalizedSGD<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: PresetOptions<T>,
): LmoOptimizer<T, M> {
  return createOptimizer(backend, params, presetOptions('normalizedSGD', options));
}
