import type { Shape, TensorBackend } from '../backend/contract.js';
import { orthogonalMatrix, toFloat32 } from '../init/random-matrices.js';
import { orthogonalize } from '../orthogonalize/orthogonalize.js';
import { ORTHOGONALIZATION_METHODS, orthogonalizationPlan, type OrthogonalizationMethod } from '../orthogonalize/plan.js';
import type { Random } from '../random.js';
import { boolOption, choiceOption, intOption, readOptions, requireRank, type Norm } from './norm.js';

/** Options of {@link spectral}. */
export interface SpectralOptions {
  /** Scale by `√(d_out/d_in)` (the RMS→RMS operator norm); `false`: by `√d_out`. Default `true`. */
  readonly normalized?: boolean;
  /** Use `max(1, s)` for the scale `s` (Muon's convention). Default `false`. */
  readonly max?: boolean;
  /** Orthogonalization steps. Default `5`. */
  readonly steps?: number;
  /** Coefficient schedule: `'quintic'` (default) or `'polar-express'` (see the orthogonalization guide). */
  readonly method?: OrthogonalizationMethod;
}

/** The RMS→RMS scale factor of a `[d_out, d_in]` matrix. */
export function spectralScale(dOut: number, dIn: number, normalized: boolean, max: boolean): number {
  const s = normalized ? Math.sqrt(dOut / dIn) : Math.sqrt(dOut);
  return max ? Math.max(1, s) : s;
}

/**
 * The (scaled) spectral norm of a 2-D `[d_out, d_in]` matrix, `‖W‖ = σ_max(W) / s`, with
 * `s = √(d_out/d_in)` (or `√d_out` unnormalized; `max(1, s)` with `max`). Its LMO is
 *
 * `lmo(g) = s · UVᵀ`, where `g = UΣVᵀ`, approximated by `orthogonalize`.
 *
 * Init: a random orthogonal matrix times `s`. Muon is this norm on hidden matrices.
 */
export function spectral(options: SpectralOptions = {}): Norm {
  const o = readOptions('spectral', options, ['normalized', 'max', 'steps', 'method']);
  const normalized = boolOption('spectral', 'normalized', o['normalized'], true);
  const max = boolOption('spectral', 'max', o['max'], false);
  const steps = intOption('spectral', 'steps', o['steps'], 5);
  const method = choiceOption('spectral', 'method', o['method'], ORTHOGONALIZATION_METHODS, 'quintic');
  const plan = orthogonalizationPlan(method, steps);
  const lmoBatch = <T>(b: TensorBackend<T>, gs: readonly T[], shape: Shape): T[] => {
    const s = spectralScale(shape[0]!, shape[1]!, normalized, max);
    return orthogonalize(b, gs, plan).map((u) => b.scale(u, s));
  };
  return {
    kind: 'spectral',
    options: { normalized, max, steps, method },
    check(shape, param) {
      requireRank('spectral', shape, param, [2], 'a 2-D [d_out, d_in] matrix (use spectralConv() for conv kernels, biasRMS() for vectors)');
    },
    lmo: (b, g, shape) => lmoBatch(b, [g], shape)[0]!,
    lmoBatch,
    init(shape: Shape, rng: Random): Float32Array {
      const [dOut, dIn] = [shape[0]!, shape[1]!];
      return toFloat32(orthogonalMatrix(dOut, dIn, rng), spectralScale(dOut, dIn, normalized, max));
    },
  };
}
