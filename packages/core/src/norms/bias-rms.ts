import { sizeOf } from '../shape.js';
import { optionlessNorm, type Norm } from './norm.js';
import { normalizeVectors } from './scale-free.js';

/**
 * The RMS norm of a vector (biases, LayerNorm gains): `‖b‖ = √(mean(b²))`. Its LMO is
 *
 * `lmo(g) = g / (√(mean(g²)) + 1e-8)`.
 *
 * Accepts 0-D and 1-D parameters. Init: zeros.
 */
export function biasRMS(options: Readonly<Record<string, never>> = {}): Norm {
  return optionlessNorm('biasRMS', options, [0, 1], 'a 0-D or 1-D parameter (a bias or a normalization gain)', {
    lmo: (b, g, shape) => normalizeVectors(b, g, undefined, 1 / Math.sqrt(sizeOf(shape))),
    init: (shape) => new Float32Array(sizeOf(shape)),
  });
}
