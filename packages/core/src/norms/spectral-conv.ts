import type { Shape, TensorBackend } from '../backend.js';
import { orthogonalMatrix } from '../init/random-matrices.js';
import type { Random } from '../random.js';
import { orthogonalizationPlan, orthogonalize, type OrthogonalizationMethod } from './newton-schulz.js';
import { intOption, requireRank, viewAs, type Norm } from './norm.js';
import { sizeOf } from '../shape.js';

/** Options of {@link spectralConv}. */
export interface SpectralConvOptions {
  /** Newton–Schulz iterations. Default `5`. */
  readonly steps?: number;
  /** Coefficient schedule: `'quintic'` (default) or `'polar-express'`. */
  readonly method?: OrthogonalizationMethod;
}

/** `√(out/in) / K` for a kernel `[out, in, ...taps]`, `K` the number of taps (`k` for conv1d, `k²` for square conv2d). */
export function convScale(shape: Shape): number {
  const taps = sizeOf(shape.slice(2));
  return Math.sqrt(shape[0]! / shape[1]!) / taps;
}

/**
 * The spectral norm for convolution kernels stored PyTorch-style `[out, in, k]` (conv1d) or
 * `[out, in, kh, kw]` (conv2d). Its LMO orthogonalizes the kernel viewed as `[out, in·K]`:
 *
 * `lmo(g) = reshape(UVᵀ of reshape(g, [out, in·K])) · √(out/in) / K`, with `K = k` or `kh·kw` (`k²`).
 *
 * Init: an independent random orthogonal `[out, in]` matrix per tap, times the same scale.
 */
export function spectralConv(options: SpectralConvOptions = {}): Norm {
  const steps = intOption('spectralConv', 'steps', options.steps, 5);
  const method = options.method ?? 'quintic';
  const plan = orthogonalizationPlan(method, steps);
  return {
    kind: 'spectralConv',
    options: { steps, method },
    check(shape, param) {
      requireRank('spectralConv', shape, param, [3, 4], 'a conv kernel [out, in, k] or [out, in, kh, kw]');
    },
    lmo<T>(backend: TensorBackend<T>, g: T): T {
      const shape = backend.shape(g);
      const out = shape[0]!;
      const view: [number, number] = [out, sizeOf(shape) / out];
      return viewAs(backend, g, view, (g2) => backend.scale(orthogonalize(backend, g2, plan), convScale(shape)));
    },
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
