import type { TensorBackend } from '../backend.js';
import { requireRank, rowView, viewAs, type Norm } from './norm.js';
import { sizeOf } from '../shape.js';
import { normalizeVectors } from './vector-norm.js';

/**
 * The RMS norm of a vector (biases, LayerNorm gains): `‖b‖ = √(mean(b²))`. Its LMO is
 *
 * `lmo(g) = g / (√(mean(g²)) + 1e-8)`.
 *
 * Accepts 0-D and 1-D parameters. Init: zeros.
 */
export function biasRMS(): Norm {
  return {
    kind: 'biasRMS',
    options: {},
    check(shape, param) {
      requireRank('biasRMS', shape, param, [0, 1], 'a 0-D or 1-D parameter (a bias or a normalization gain)');
    },
    lmo<T>(backend: TensorBackend<T>, g: T): T {
      const view = rowView(backend.shape(g));
      return viewAs(backend, g, view, (g2) => normalizeVectors(backend, g2, 1, 1 / Math.sqrt(view[1])));
    },
    init: (shape) => new Float32Array(sizeOf(shape)),
  };
}
