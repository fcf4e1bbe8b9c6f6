import type { Shape, TensorBackend } from '../backend/contract.js';
import { orthogonalMatrix } from '../init/random-matrices.js';
import { orthogonalize } from '../orthogonalize/orthogonalize.js';
import { ORTHOGONALIZATION_METHODS, orthogonalizationPlan, type OrthogonalizationMethod } from '../orthogonalize/plan.js';
import type { Random } from '../random.js';
import { sizeOf } from '../shape.js';
import { choiceOption, intOption, readOptions, requireRank, type Norm } from './norm.js';

/** Options of {@link spectralConv}. */
export interface SpectralConvOptions {
  /** Orthogonalization steps. Default `5`. */
  readonly steps?: number;
  /** Coefficient schedule: `'quintic'` (default) or `'polar-express'`. */
  readonly method?: OrthogonalizationMethod;
}

/** `√(out/in) / K` for a kernel `[out, in, ...taps]`, `K` the number of taps (`k` for conv1d, `k²` for square conv2d). */
export function convScale(shape: Shape): number {
  return Math.sqrt(shape[0]! / shape[1]!) / sizeOf(shape.slice(2));
}

/**
 * The spectral norm for convolution kernels stored PyTorch-style `[out, in, k]` (conv1d) or
 * `[out, in, kh, kw]` (conv2d). Its LMO orthogonalizes the kernel viewed as `[out, in·K]` (its
 * matrix view):
 *
 * `lmo(g) = UVᵀ of reshape(g, [out, in·K]) · √(out/in) / K`, with `K = k` or `kh·kw`.
 *
 * Init: an independent random orthogonal `[out, in]` matrix per tap, times the same scale.
 */
export function spectralConv(options: SpectralConvOptions = {}): Norm {
  const o = readOptions('spectralConv', options, ['steps', 'method']);
  const steps = intOption('spectralConv', 'steps', o['steps'], 5);
  const method = choiceOption('spectralConv', 'method', o['method'], ORTHOGONALIZATION_METHODS, 'quintic');
  const plan = orthogonalizationPlan(method, steps);
  const lmoBatch = <T>(b: TensorBackend<T>, gs: readonly T[], shape: Shape): T[] =>
    orthogonalize(b, gs, plan).map((u) => b.scale(u, convScale(shape)));
  return {
    kind: 'spectralConv',
    options: { steps, method },
    check(shape, param) {
      requireRank('spectralConv', shape, param, [3, 4], 'a conv kernel [out, in, k] or [out, in, kh, kw]');
    },
    lmo: (b, g, shape) => lmoBatch(b, [g], shape)[0]!,
    lmoBatch,
    init(shape: Shape, rng: Random): Float32Array {
      const [out, inp] = [shape[0]!, shape[1]!];
      const taps = sizeOf(shape.slice(2));
      const scale = convScale(shape);
      const w = new Float32Array(sizeOf(shape));
      for (let t = 0; t < taps; t++) {
        const q = orthogonalMatrix(out, inp, rng);
        for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) w[(o * inp + i) * taps + t] = q[o * inp + i]! * scale;
      }
      return w;
    },
  };
}
