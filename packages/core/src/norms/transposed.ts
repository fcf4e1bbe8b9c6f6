import type { Shape, TensorBackend } from '../backend.js';
import { transposed as transposeMatrix } from '../init/random-matrices.js';
import { LmoError } from '../errors.js';
import type { Random } from '../random.js';
import { dims2, requireRank, type Norm } from './norm.js';

/**
 * `norm` applied to the transposed view of a 2-D parameter: `lmo(g) = norm.lmo(gᵀ)ᵀ`.
 *
 * Use it for weights stored `[d_in, d_out]` (tf.layers Dense kernels, `x·W` conventions) so that
 * they get the same LMO as the reference semantics, which assume PyTorch's `[d_out, d_in]`.
 */
export function transposed(norm: Norm): Norm {
  const flip = (shape: Shape): number[] => [shape[1]!, shape[0]!];
  return {
    kind: 'transposed',
    options: { of: norm.kind, ...norm.options },
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
    lmo<T>(backend: TensorBackend<T>, g: T): T {
      return backend.transpose(norm.lmo(backend, backend.transpose(g)));
    },
    init(shape: Shape, rng: Random): Float32Array {
      const [rows, cols] = dims2(shape);
      const inner = norm.init(flip(shape), rng);
      return Float32Array.from(transposeMatrix(Float64Array.from(inner), cols, rows));
    },
  };
}
