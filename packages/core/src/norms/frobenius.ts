import type { TensorBackend } from '../backend.js';
import { normals } from '../init/random-matrices.js';
import { requireRank, rowView, viewAs, type Norm } from './norm.js';
import { sizeOf } from '../shape.js';
import { normalizeVectors } from './vector-norm.js';

/**
 * The Frobenius (ℓ2) norm of a parameter of any shape, `‖W‖ = ‖W‖_F`. Its LMO is
 *
 * `lmo(g) = g / (‖g‖_F + 1e-8)`.
 *
 * With `momentum: 1` and `unconstrained: true` this gives normalized SGD. Init: a Gaussian direction
 * of unit Frobenius norm.
 */
export function frobenius(): Norm {
  return {
    kind: 'frobenius',
    options: {},
    check(shape, param) {
      requireRank('frobenius', shape, param, [0, 1, 2, 3, 4], 'a tensor of rank 0 to 4');
    },
    lmo<T>(backend: TensorBackend<T>, g: T): T {
      return viewAs(backend, g, rowView(backend.shape(g)), (g2) => normalizeVectors(backend, g2, 1, 1));
    },
    init(shape, rng) {
      const v = normals(sizeOf(shape), rng);
      let ss = 0;
      for (const x of v) ss += x * x;
      const f = 1 / Math.sqrt(ss);
      return Float32Array.from(v, (x) => x * f);
    },
  };
}
