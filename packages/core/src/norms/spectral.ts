import type { Shape, TensorBackend } from '../backend.js';
import { orthogonalMatrix, toFloat32 } from '../init/random-matrices.js';
import { LmoError } from '../errors.js';
import type { Random } from '../random.js';
import { orthogonalizationPlan, orthogonalize, type OrthogonalizationMethod } from './newton-schulz.js';
import { boolOption, dims2, intOption, requireRank, type Norm } from './norm.js';

/** Options of {@link spectral}. */
export interface SpectralOptions {
  /** Scale by `√(d_out/d_in)` (the RMS→RMS operator norm); `false`: by `√d_out`. Default `true`. */
  readonly normalized?: boolean;
  /** Use `max(1, s)` for the scale `s` (Muon's convention). Default `false`. */
  readonly max?: boolean;
  /** Newton–Schulz iterations. Default `5`. */
  readonly steps?: number;
  /** Coefficient schedule: `'quintic'` (default) or `'polar-express'`. */
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
 * `lmo(g) = s · UVᵀ`, where `g = UΣVᵀ`, approximated by Newton–Schulz ({@link orthogonalize}).
 *
 * Init: a random orthogonal matrix times `s`. Muon is this norm on hidden matrices.
 */
export function spectral(options: SpectralOptions = {}): Norm {
  const normalized = boolOption('spectral', 'normalized', options.normalized, true);
  const max = boolOption('spectral', 'max', options.max, false);
  const steps = intOption('spectral', 'steps', options.steps, 5);
  const method = options.method ?? 'quintic';
  if (method !== 'quintic' && method !== 'polar-express') {
    throw new LmoError('UNKNOWN_NORM', `norm spectral: option "method" must be "quintic" or "polar-express", got "${String(method)}"`);
  }
  const plan = orthogonalizationPlan(method, steps);
  return {
    kind: 'spectral',
    options: { normalized, max, steps, method },
    check(shape, param) {
      requireRank('spectral', shape, param, [2], 'a 2-D [d_out, d_in] matrix (use spectralConv() for conv kernels, biasRMS() for vectors)');
    },
    lmo<T>(backend: TensorBackend<T>, g: T): T {
      const [dOut, dIn] = dims2(backend.shape(g));
      return backend.scale(orthogonalize(backend, g, plan), spectralScale(dOut, dIn, normalized, max));
    },
    init(shape: Shape, rng: Random): Float32Array {
      const [dOut, dIn] = dims2(shape);
      return toFloat32(orthogonalMatrix(dOut, dIn, rng), spectralScale(dOut, dIn, normalized, max));
    },
  };
}
