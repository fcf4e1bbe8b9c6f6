import type { Shape } from '../backend/contract.js';
import type { Norm } from './norm.js';

/**
 * A norm that picks one of `norms` by the parameter's rank (`pick(rank)`), for `auto` and `muon`.
 * The chosen norm sees the same matrix view and shape it would see on its own.
 */
export function byRank(kind: string, options: Norm['options'], pick: (rank: number) => Norm): Norm {
  const of = (shape: Shape): Norm => pick(shape.length);
  return {
    kind,
    options,
    check: (shape, param) => of(shape).check(shape, param),
    lmo: (b, g, shape) => of(shape).lmo(b, g, shape),
    lmoBatch: (b, gs, shape) => {
      const norm = of(shape);
      return norm.lmoBatch ? norm.lmoBatch(b, gs, shape) : gs.map((g) => norm.lmo(b, g, shape));
    },
    init: (shape, rng) => of(shape).init(shape, rng),
  };
}
