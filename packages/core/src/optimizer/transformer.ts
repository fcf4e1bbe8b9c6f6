import { biasRMS } from '../norms/bias-rms.js';
import { colNorm } from '../norms/col-norm.js';
import { sign } from '../norms/sign.js';
import { spectral, type SpectralOptions } from '../norms/spectral.js';
import { LmoError } from '../errors.js';
import type { GroupSpec, Matcher } from './groups.js';

/** The radii ρ of {@link transformerGroups}. */
export interface TransformerRadii {
  /** Hidden matrices of the blocks (Spectral). Default `3`. */
  readonly hidden?: number;
  /** Normalization gains and biases, every parameter of rank ≤ 1 (BiasRMS). Default `3`. */
  readonly gains?: number;
  /** The learned position embedding (ColNorm of its transpose). Default `3`. */
  readonly positions?: number;
  /** The token embedding tied to the output head (Sign, normalized): 60 × the hidden radius by default, `180`. */
  readonly embedding?: number;
}

/** Options of {@link transformerGroups}. */
export interface TransformerGroupsOptions {
  readonly radii?: TransformerRadii;
  /**
   * Which parameters are the embeddings. Defaults are nanoGPT's names: `'*wte.weight'` for the
   * tied token embedding / head `[vocab, dim]`, `'*wpe.weight'` for the positions `[block, dim]`
   * (`null`: the model has no learned positions).
   */
  readonly match?: { readonly embedding?: Matcher; readonly positions?: Matcher | null };
  /** Options of the hidden matrices' spectral norm (orthogonalization method and steps). */
  readonly spectral?: SpectralOptions;
}

/**
 * Scion's parameter groups for a GPT-style transformer with a tied embedding/head (the reference
 * implementation's "nanoGPT with weight sharing" configuration, with its radius 3):
 *
 * | group | parameters | norm | radius ρ |
 * |---|---|---|---|
 * | `embedding` | tied token embedding / output head `[vocab, dim]` | `sign({ normalized: true })` | 180 |
 * | `positions` | learned position embedding `[block, dim]` | `colNorm({ transpose: true })` | 3 |
 * | `gains` | LayerNorm gains, biases (rank ≤ 1) | `biasRMS()` | 3 |
 * | `hidden` | every other parameter: the blocks' matrices | `spectral()` | 3 |
 */
export function transformerGroups(options: TransformerGroupsOptions = {}): GroupSpec[] {
  const r = options.radii ?? {};
  for (const key of Object.keys(r)) {
    if (!['hidden', 'gains', 'positions', 'embedding'].includes(key)) {
      throw new LmoError('INVALID_HYPERPARAMETER', `transformerGroups: unknown radius "${key}" (radii are hidden, gains, positions, embedding)`);
    }
  }
  const embedding = options.match?.embedding ?? '*wte.weight';
  const positions = options.match?.positions === undefined ? '*wpe.weight' : options.match.positions;
  return [
    { name: 'embedding', match: embedding, norm: sign({ normalized: true }), scale: r.embedding ?? 180 },
    ...(positions === null ? [] : [{ name: 'positions', match: positions, norm: colNorm({ transpose: true }), scale: r.positions ?? 3 }]),
    { name: 'gains', match: { rank: [0, 1] }, norm: biasRMS(), scale: r.gains ?? 3 },
    { name: 'hidden', norm: spectral(options.spectral), scale: r.hidden ?? 3 },
  ];
}
