import { biasRMS } from './bias-rms.js';
import { requireRank, type Norm } from './norm.js';
import { spectral } from './spectral.js';
import { spectralConv } from './spectral-conv.js';

/**
 * Chooses the norm from the parameter's rank, like the reference's `Auto`: rank 3–4 →
 * {@link spectralConv}, rank 2 → {@link spectral}, rank 0–1 → {@link biasRMS} (default options).
 */
export function auto(): Norm {
  const byRank = [biasRMS(), biasRMS(), spectral(), spectralConv(), spectralConv()];
  const pick = (rank: number): Norm => byRank[rank]!;
  return {
    kind: 'auto',
    options: {},
    check(shape, param) {
      requireRank('auto', shape, param, [0, 1, 2, 3, 4], 'a tensor of rank 0 to 4');
      pick(shape.length).check(shape, param);
    },
    lmo: (backend, g) => pick(backend.shape(g).length).lmo(backend, g),
    init: (shape, rng) => pick(shape.length).init(shape, rng),
  };
}
