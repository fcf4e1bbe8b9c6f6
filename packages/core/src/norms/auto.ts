import { biasRMS } from './bias-rms.js';
import { byRank } from './by-rank.js';
import { ANY_RANK, readOptions, requireRank, type Norm } from './norm.js';
import { spectral } from './spectral.js';
import { spectralConv } from './spectral-conv.js';

/**
 * Chooses the norm from the parameter's rank, like the reference's `Auto`: rank 3–4 →
 * {@link spectralConv}, rank 2 → {@link spectral}, rank 0–1 → {@link biasRMS} (default options).
 */
export function auto(options: Readonly<Record<string, never>> = {}): Norm {
  readOptions('auto', options, []);
  const byRankNorms = [biasRMS(), biasRMS(), spectral(), spectralConv(), spectralConv()];
  const norm = byRank('auto', {}, (rank) => byRankNorms[rank]!);
  return {
    ...norm,
    check(shape, param) {
      requireRank('auto', shape, param, ANY_RANK, 'a tensor of rank 0 to 4');
      norm.check(shape, param);
    },
  };
}
