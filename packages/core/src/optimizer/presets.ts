import type { TensorBackend } from '../backend.js';
import { biasRMS } from '../norms/bias-rms.js';
import { frobenius } from '../norms/frobenius.js';
import type { Norm } from '../norms/norm.js';
import { signUnscaled } from '../norms/sign.js';
import { spectral } from '../norms/spectral.js';
import { spectralConv } from '../norms/spectral-conv.js';
import { createOptimizer, type LmoOptimizer, type NamedTensors, type OptimizerOptions } from './optimizer.js';

/** Preset options: everything of {@link OptimizerOptions} except what the preset fixes. */
export type PresetOptions = Omit<OptimizerOptions, 'unconstrained' | 'light'>;

/**
 * Scion: the constrained update (SCG), `x ← (1 − γ)·x − γρ·lmo(d)`, momentum 0.1 by default.
 * Give per-layer norms with `groups` (see the docs' "Choosing norms"); the default is {@link auto}.
 */
export function scion<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: PresetOptions): LmoOptimizer<T> {
  return createOptimizer(backend, params, { ...options, unconstrained: false });
}

/** Unconstrained Scion (uSCG): `x ← x − γρ·lmo(d)`. */
export function unconstrainedScion<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: PresetOptions): LmoOptimizer<T> {
  return createOptimizer(backend, params, { ...options, unconstrained: true });
}

/**
 * ScionLight: Scion without a momentum buffer. The gradient buffer G serves as `d`; after each
 * update it is scaled by `(1 − α)`, and your backward pass must accumulate into it (`G += g`).
 */
export function scionLight<T>(
  backend: TensorBackend<T>,
  params: NamedTensors<T>,
  options: PresetOptions & { readonly unconstrained?: boolean },
): LmoOptimizer<T> {
  return createOptimizer(backend, params, { ...options, light: true });
}

/**
 * The norm Muon uses, for parameters of any rank: matrices get the spectral LMO with Muon's scale
 * `max(1, √(d_out/d_in))`, conv kernels {@link spectralConv}, vectors {@link biasRMS}.
 */
export function muonNorm(): Norm {
  const matrix = spectral({ max: true });
  const conv = spectralConv();
  const vector = biasRMS();
  const pick = (rank: number): Norm => (rank >= 3 ? conv : rank === 2 ? matrix : vector);
  return {
    kind: 'auto',
    options: { preset: 'muon' },
    check: (shape, param) => pick(shape.length).check(shape, param),
    lmo: (backend, g) => pick(backend.shape(g).length).lmo(backend, g),
    init: (shape, rng) => pick(shape.length).init(shape, rng),
  };
}

/**
 * Muon-style: unconstrained, momentum 0.05 (β = 0.95; no Nesterov), orthogonalized updates on
 * matrices ({@link muonNorm}). Pass `groups` to route, e.g., embeddings elsewhere.
 */
export function muon<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: PresetOptions): LmoOptimizer<T> {
  return createOptimizer(backend, params, {
    ...options,
    // `??`, not a spread default: `{ momentum: undefined }` must keep the preset's value.
    momentum: options.momentum ?? 0.05,
    ...(options.groups ? {} : { norm: options.norm ?? muonNorm() }),
    unconstrained: true,
  });
}

/** signSGD: `x ← x − γ·sign(g)` (unconstrained, no momentum unless given, ℓ∞ LMO on every parameter). */
export function signSGD<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: PresetOptions): LmoOptimizer<T> {
  return createOptimizer(backend, params, {
    ...options,
    // `??`, not a spread default: `{ momentum: undefined }` must keep the preset's value.
    momentum: options.momentum ?? 1,
    ...(options.groups ? {} : { norm: options.norm ?? signUnscaled() }),
    unconstrained: true,
  });
}

/** Normalized SGD: `x ← x − γ·g/‖g‖_F` per parameter (unconstrained, no momentum unless given). */
export function normalizedSGD<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: PresetOptions): LmoOptimizer<T> {
  return createOptimizer(backend, params, {
    ...options,
    // `??`, not a spread default: `{ momentum: undefined }` must keep the preset's value.
    momentum: options.momentum ?? 1,
    ...(options.groups ? {} : { norm: options.norm ?? frobenius() }),
    unconstrained: true,
  });
}
