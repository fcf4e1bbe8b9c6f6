import * as tf from '@tensorflow/tfjs-core';
import type { NewtonSchulzCoefficients } from '@lmo/core';

/**
 * The fused Newton–Schulz kernel of the tfjs binding (see `FusedKernels.newtonSchulz` in core):
 * `X ← x / (‖x‖_F · normScale + normEps)`, then per coefficient triple `(a, b, c)`:
 * `A = X·Xᵀ; B = b·A + c·A·A; X = a·X + B·X`. `x` is 2-D with rows ≤ cols.
 *
 * Each iteration runs in its own `tf.tidy` and the previous iterate is freed as soon as the next
 * exists, so peak memory is a few `m×m` and `m×n` buffers whatever the number of steps.
 * `options.materializeTransposes` (default `true`) computes `X·Xᵀ` with `tf.transpose` + a plain
 * `tf.matMul` rather than the transpose flag (see `TfjsBackendOptions.materializeTransposes`).
 */
export function tfjsNewtonSchulz(
  x: tf.Tensor,
  coefficients: readonly NewtonSchulzCoefficients[],
  normScale: number,
  normEps: number,
  options: { readonly materializeTransposes?: boolean } = {},
): tf.Tensor {
  const materialize = options.materializeTransposes ?? true;
  // X·Xᵀ: an explicit transpose keeps wasm (XNNPACK) on its fast untransposed path.
  const gramOf = (m: tf.Tensor): tf.Tensor => (materialize ? tf.matMul(m, tf.transpose(m)) : tf.matMul(m, m, false, true));
  let current = tf.tidy(() => tf.div(x, tf.add(tf.mul(tf.norm(x), normScale), normEps)));
  for (const [a, b, c] of coefficients) {
    const previous = current;
    current = tf.tidy(() => {
      const gram = gramOf(previous);
      const poly = tf.add(tf.mul(gram, b), tf.mul(tf.matMul(gram, gram), c));
      return tf.add(tf.mul(previous, a), tf.matMul(poly, previous));
    });
    previous.dispose();
  }
  return current;
}
