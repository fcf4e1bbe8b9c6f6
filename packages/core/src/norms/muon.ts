import { biasRMS } from './bias-rms.js';
import { byRank } from './by-rank.js';
import { ANY_RANK, readOptions, requireRank, type Norm } from './norm.js';
import { spectral } from './spectral.js';
import { spectralConv } from './spectral-conv.js';

/**
 * The norm Muon uses, for parameters of any rank: matrices get the spectral LMO with Muon's scale
 * `max(1, √(d_out/d_in))`, conv kernels {@link spectralConv}, vectors {@link biasRMS}.
 */
export function muonNorm(options: Readonly<Record<string, never>> = {}): Norm {
  readOptions('muon', options, []);
  const matrix = spectral({ max: true });
  const conv = spectralConv();
  const vector = biasRMS();
  const norm = byRank('muon', {}, (rank) => (rank >= 3 ? conv : rank === 2 ? matrix : vector));
  return {
    ...norm,
    check(shape, param) {
      requireRank('muon', shape, param, ANY_RANK, 'a tensor of rank 0 to 4');
      norm.check(shape, param);
    },
  };
}
