import type { Shape, TensorBackend } from '../backend/contract.js';
import type { Random } from '../random.js';
import { sizeOf } from '../shape.js';
import { ANY_RANK, boolOption, optionlessNorm, readOptions, requireRank, type Norm } from './norm.js';

/** Options of {@link sign}. */
export interface SignOptions {
  /** Divide by `d_in` (the max-of-row-sums operator norm scaled for a `[d_out, d_in]` layer). Default `true`. */
  readonly normalized?: boolean;
  /** Initialize to zeros instead of random `±1 (/ d_in)`. Default `false`. */
  readonly zeroInit?: boolean;
}

/**
 * The (normalized) sign norm of a 2-D `[d_out, d_in]` parameter: `‖W‖ = d_in · max_ij |W_ij|`
 * (or `max_ij |W_ij|` unnormalized), whose LMO is
 *
 * `lmo(g) = sign(g) / d_in` (or `sign(g)` when `normalized: false`).
 *
 * Init: independent `±1` with probability ½ each (`/ d_in` if normalized), or zeros with `zeroInit`.
 * Used for the output layer / tied embedding (radius ≈ 180 in the nanoGPT configuration).
 */
export function sign(options: SignOptions = {}): Norm {
  const o = readOptions('sign', options, ['normalized', 'zeroInit']);
  const normalized = boolOption('sign', 'normalized', o['normalized'], true);
  const zeroInit = boolOption('sign', 'zeroInit', o['zeroInit'], false);
  return {
    kind: 'sign',
    options: { normalized, zeroInit },
    check(shape, param) {
      requireRank('sign', shape, param, [2], 'a 2-D [d_out, d_in] matrix (use signUnscaled() for any shape)');
    },
    lmo<T>(b: TensorBackend<T>, g: T, shape: Shape): T {
      const s = b.sign(g);
      return normalized ? b.scale(s, 1 / shape[1]!) : s;
    },
    init(shape: Shape, rng: Random): Float32Array {
      const out = new Float32Array(sizeOf(shape));
      if (zeroInit) return out;
      const v = normalized ? 1 / shape[1]! : 1;
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < 0.5 ? -v : v;
      return out;
    },
  };
}

/**
 * The unscaled sign norm of a parameter of any shape: `‖W‖ = max |W_ij|` (ℓ∞), `lmo(g) = sign(g)`.
 * With momentum 1 and the unconstrained update this is signSGD. Init: random `±1`.
 */
export function signUnscaled(options: Readonly<Record<string, never>> = {}): Norm {
  return optionlessNorm('signUnscaled', options, ANY_RANK, 'a tensor of rank 0 to 4', {
    lmo: (b, g) => b.sign(g),
    init(shape, rng) {
      const out = new Float32Array(sizeOf(shape));
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform() < 0.5 ? -1 : 1;
      return out;
    },
  });
}
