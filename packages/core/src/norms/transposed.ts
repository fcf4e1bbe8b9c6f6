import type { Shape } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import { transposed as transposeMatrix } from '../init/random-matrices.js';
import type { Random } from '../random.js';
import { requireRank, type JsonValue, type Norm } from './norm.js';
import { normFromJSON, normToJSON, type NormJSON } from './registry.js';

/**
 * `norm` applied to the transposed view of a 2-D parameter: `lmo(g) = norm.lmo(gᵀ)ᵀ`.
 *
 * Use it for weights stored `[d_in, d_out]` (tf.layers Dense kernels, `x·W` conventions) so that
 * they get the same LMO as the reference semantics, which assume PyTorch's `[d_out, d_in]`.
 * Saved as `{ kind: 'transposed', options: { of: <the inner norm's JSON> } }`.
 */
export function transposed(norm: Norm): Norm {
  const flip = (shape: Shape): number[] => [shape[1]!, shape[0]!];
  return {
    kind: 'transposed',
    options: { of: normToJSON(norm) as unknown as JsonValue },
    check(shape, param) {
      requireRank(`transposed(${norm.kind})`, shape, param, [2], 'a 2-D matrix');
      try {
        norm.check(flip(shape), param);
      } catch (e) {
        // The inner norm saw the flipped shape: say so, and give the parameter's own shape too.
        if (!(e instanceof LmoError)) throw e;
        throw new LmoError(e.code, `transposed(${norm.kind}): ${e.message} (the transposed view of shape [${shape.join(', ')}])`);
      }
    },
    lmo: (b, g, shape) => b.transpose(norm.lmo(b, b.transpose(g), flip(shape))),
    lmoBatch: (b, gs, shape) => {
      const ts = gs.map((g) => b.transpose(g));
      const us = norm.lmoBatch ? norm.lmoBatch(b, ts, flip(shape)) : ts.map((t) => norm.lmo(b, t, flip(shape)));
      return us.map((u) => b.transpose(u));
    },
    init(shape: Shape, rng: Random): Float32Array {
      const [rows, cols] = [shape[0]!, shape[1]!];
      const inner = norm.init(flip(shape), rng);
      return Float32Array.from(transposeMatrix(Float64Array.from(inner), cols, rows));
    },
  };
}

/** The registry's builder for `transposed`: `{ of: NormJSON }`. */
export function transposedFromOptions(options: unknown): Norm {
  const of = (options as { of?: unknown } | undefined)?.of;
  if (of === undefined) throw new LmoError('UNKNOWN_NORM', 'norm transposed: option "of" (the inner norm as { kind, options }) is required');
  return transposed(normFromJSON(of as NormJSON));
}
