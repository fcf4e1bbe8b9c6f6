import { LmoError, transposed, type Norm, type Random, type Shape, type TensorBackend } from '@lmo/core';
import { matrixView } from '@lmo/core/backend';
import { baseName } from './names.js';

/**
 * How a parameter's axes relate to lmo's reference semantics (PyTorch's `[d_out, d_in]`):
 *
 * - `'keras'`: a tf.layers / Keras kernel, input axes before the output axis. Dense
 *   `[d_in, d_out]`, Conv1D `[k, in, out]`, Conv2D `[kh, kw, in, out]`, Conv3D
 *   `[kd, kh, kw, in, out]`, depthwise `[kh, kw, in, multiplier]`. The norm is applied to the
 *   reference view (`[d_out, d_in]`, `[out, in, k…]`), so the update equals the reference's for
 *   the same layer.
 * - `'reference'`: already `[d_out, d_in]` (or a vector, or an embedding table `[vocab, dim]`):
 *   the norm sees the tensor as it is.
 * - `'auto'` (default): `'keras'` for weights whose name ends in `kernel`, `recurrent_kernel`,
 *   `pointwise_kernel` or `depthwise_kernel` (the names tf.layers gives them), `'reference'` for
 *   everything else (biases, LayerNorm gains, embeddings, your own `tf.variable`s).
 */
export type Layout = 'auto' | 'keras' | 'reference';

/** The storage kind {@link resolveLayout} settles on for one parameter. */
export type ResolvedLayout = 'reference' | 'keras' | 'keras-depthwise';

const KERAS_KERNELS = new Set(['kernel', 'recurrent_kernel', 'pointwise_kernel']);

/** Decides how to read a parameter's axes from its layout option, name and rank. */
export function resolveLayout(layout: Layout, name: string, rank: number): ResolvedLayout {
  if (layout === 'reference' || rank < 2) return 'reference';
  const base = baseName(name);
  if (base === 'depthwise_kernel' && rank >= 3) return 'keras-depthwise';
  if (layout === 'keras' || KERAS_KERNELS.has(base)) return 'keras';
  return 'reference';
}

/**
 * The norm as seen from a parameter stored in `layout`: for `'reference'` the norm itself; for a
 * 2-D Keras kernel core's `transposed(norm)`; for Keras conv kernels a view that maps the kernel to
 * the reference's `[out, in, k…]` shape (see {@link kerasConvNorm}).
 */
export function normForLayout(norm: Norm, layout: ResolvedLayout, rank: number): Norm {
  if (layout === 'reference') return norm;
  if (layout === 'keras' && rank === 2) return transposed(norm);
  return kerasConvNorm(norm, layout === 'keras-depthwise');
}

interface ConvGeometry {
  /** `[out, in, ...taps]`: the reference shape. */
  readonly reference: number[];
  /** The number of taps `K`. */
  readonly taps: number;
  /** The reference's input channels. */
  readonly cin: number;
  /** The reference's output channels. */
  readonly cout: number;
}

function geometry(shape: Shape, depthwise: boolean, param: string): ConvGeometry {
  if (shape.length < 3) {
    throw new LmoError('UNSUPPORTED_SHAPE', `parameter "${param}" of shape [${shape.join(', ')}] is not a conv kernel [...taps, in, out]`);
  }
  const tapDims = shape.slice(0, -2);
  const taps = tapDims.reduce((a, d) => a * d, 1);
  const inner = shape[shape.length - 2]!;
  const last = shape[shape.length - 1]!;
  // depthwise [taps…, in, m] is PyTorch's grouped weight [in·m, 1, taps…]
  const [cout, cin] = depthwise ? [inner * last, 1] : [last, inner];
  return { reference: [cout, cin, ...tapDims], taps, cin, cout };
}

/**
 * A norm defined on reference conv kernels `[out, in, k…]`, applied to a Keras kernel
 * `[k…, in, out]` (or depthwise `[k…, in, m]`, which is PyTorch's `[in·m, 1, k…]`).
 *
 * The kernel is viewed as the matrix `M' = reshape(g, [K·in, out])ᵀ`, `[out, K·in]`, then labelled
 * with the reference shape. `M'` equals the reference matrix `reshape(g_ref, [out, in·K])` up to a
 * permutation of its columns, and the conv LMOs (SpectralConv's Newton–Schulz, sign, RMS and
 * Frobenius normalisations) commute with column permutations (`(MP)(MP)ᵀ = MMᵀ`), so mapping the
 * result back gives exactly the reference LMO of the same kernel, with two 2-D transposes and
 * no N-D permutation. Norms that single out the tap or input axes separately would not commute;
 * none of core's conv norms does. Init permutes the reference init into Keras order.
 */
export function kerasConvNorm(norm: Norm, depthwise = false): Norm {
  return {
    kind: norm.kind,
    options: norm.options,
    check(shape: Shape, param: string): void {
      norm.check(geometry(shape, depthwise, param).reference, param);
    },
    lmo<T>(backend: TensorBackend<T>, g: T, shape: Shape): T {
      // g is the kernel's matrix view [k₀, …]; the inner norm sees the reference matrix [out, in·K].
      const { reference, cout } = geometry(shape, depthwise, 'g');
      const rows = reference.reduce((a, d) => a * d, 1) / cout;
      const labelled = backend.transpose(backend.reshape(g, [rows, cout]));
      const u = norm.lmo(backend, labelled, reference);
      return backend.reshape(backend.transpose(u), matrixView(shape));
    },
    init(shape: Shape, rng: Random): Float32Array {
      const { reference, taps, cin, cout } = geometry(shape, depthwise, 'init');
      const ref = norm.init(reference, rng);
      // reference [out, in, t] (row-major) → Keras [t, in, out] (depthwise: [t, in·m] with in·m = out)
      const out = new Float32Array(ref.length);
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
          for (let t = 0; t < taps; t++) out[(t * cin + i) * cout + o] = ref[(o * cin + i) * taps + t]!;
        }
      }
      return out;
    },
  };
}
