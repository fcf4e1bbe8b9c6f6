import type { Shape, TensorBackend } from '../backend/contract.js';
import type { Random } from '../random.js';
import { boolOption, readOptions, requireRank, type Norm } from './norm.js';
import { normalizeVectors, randomVectors } from './scale-free.js';

/** Options of {@link rowNorm}. */
export interface RowNormOptions {
  /** Also multiply the row norm by `√d_in` (use `false` only for the input layer). Default `true`. */
  readonly normalized?: boolean;
  /** Apply the norm to `gᵀ` (for embedding tables stored `[vocab, dim]`). Default `false`. */
  readonly transpose?: boolean;
}

/**
 * The max-row norm of a 2-D `[d_out, d_in]` matrix (the RMS→ℓ∞ operator norm, for output layers):
 * `‖W‖ = max_i ‖W[i, :]‖₂` (× `√d_in` if normalized). Its LMO, per row `i`:
 *
 * `r_i = ‖g[i, :]‖₂` (× `√d_in` if normalized), `lmo(g)[i, :] = g[i, :] / (r_i + 1e-8)`.
 *
 * With `transpose` it is applied to `gᵀ`. Init: Gaussian rows rescaled to `r_i = 1`.
 */
export function rowNorm(options: RowNormOptions = {}): Norm {
  const o = readOptions('rowNorm', options, ['normalized', 'transpose']);
  const normalized = boolOption('rowNorm', 'normalized', o['normalized'], true);
  const transpose = boolOption('rowNorm', 'transpose', o['transpose'], false);
  const axis = transpose ? 0 : 1;
  const factor = (shape: Shape): number => (normalized ? Math.sqrt(transpose ? shape[0]! : shape[1]!) : 1);
  return {
    kind: 'rowNorm',
    options: { normalized, transpose },
    check(shape, param) {
      requireRank('rowNorm', shape, param, [2], 'a 2-D matrix');
    },
    lmo: <T>(b: TensorBackend<T>, g: T, shape: Shape): T => normalizeVectors(b, g, axis, factor(shape)),
    init: (shape: Shape, rng: Random): Float32Array => randomVectors(shape, axis, 1 / factor(shape), rng),
  };
}
