import type { Shape, TensorBackend } from '../backend/contract.js';
import type { Random } from '../random.js';
import { boolOption, readOptions, requireRank, type Norm } from './norm.js';
import { normalizeVectors, randomVectors } from './scale-free.js';

/** Options of {@link colNorm}. */
export interface ColNormOptions {
  /** Also multiply the column RMS by `d_in` (use only for non-input layers). Default `false`. */
  readonly normalized?: boolean;
  /** Apply the norm to `gᵀ` (for embedding tables stored `[vocab, dim]`). Default `false`. */
  readonly transpose?: boolean;
}

/**
 * The max-column-RMS norm of a 2-D `[d_out, d_in]` matrix (the ℓ1→RMS operator norm, for input
 * layers): `‖W‖ = max_j ‖W[:, j]‖₂ / √d_out` (× `d_in` if normalized). Its LMO, per column `j`:
 *
 * `r_j = ‖g[:, j]‖₂ / √d_out` (× `d_in` if normalized), `lmo(g)[:, j] = g[:, j] / (r_j + 1e-8)`.
 *
 * With `transpose` it is applied to `gᵀ` (columns become rows and `d_out`/`d_in` swap).
 * Init: Gaussian columns rescaled to the unit ball's boundary (`r_j = 1`).
 */
export function colNorm(options: ColNormOptions = {}): Norm {
  const o = readOptions('colNorm', options, ['normalized', 'transpose']);
  const normalized = boolOption('colNorm', 'normalized', o['normalized'], false);
  const transpose = boolOption('colNorm', 'transpose', o['transpose'], false);
  // In g's own orientation: which axis holds the vectors, and the factor turning ‖·‖₂ into r.
  const axis = transpose ? 1 : 0;
  const factor = (shape: Shape): number => {
    const [dOut, dIn] = transpose ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!];
    return (normalized ? dIn : 1) / Math.sqrt(dOut);
  };
  return {
    kind: 'colNorm',
    options: { normalized, transpose },
    check(shape, param) {
      requireRank('colNorm', shape, param, [2], 'a 2-D matrix');
    },
    lmo: <T>(b: TensorBackend<T>, g: T, shape: Shape): T => normalizeVectors(b, g, axis, factor(shape)),
    init: (shape: Shape, rng: Random): Float32Array => randomVectors(shape, axis, 1 / factor(shape), rng),
  };
}
