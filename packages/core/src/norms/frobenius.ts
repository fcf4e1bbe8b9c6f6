import { normals } from '../init/random-matrices.js';
import { sizeOf } from '../shape.js';
import { ANY_RANK, optionlessNorm, type Norm } from './norm.js';
import { normalizeVectors } from './scale-free.js';

/**
 * The Frobenius (ℓ2) norm of a parameter of any shape, `‖W‖ = ‖W‖_F`. Its LMO is
 *
 * `lmo(g) = g / (‖g‖_F + 1e-8)`.
 *
 * With momentum 1 and the unconstrained update this is normalized SGD. Init: a Gaussian direction
 * of unit Frobenius norm.
 */
export function frobenius(options: Readonly<Record<string, never>> = {}): Norm {
  return optionlessNorm('frobenius', options, ANY_RANK, 'a tensor of rank 0 to 4', {
    lmo: (b, g) => normalizeVectors(b, g, undefined, 1),
    init(shape, rng) {
      const v = normals(sizeOf(shape), rng);
      let ss = 0;
      for (const x of v) ss += x * x;
      const f = 1 / Math.sqrt(ss);
      return Float32Array.from(v, (x) => x * f);
    },
  });
}
