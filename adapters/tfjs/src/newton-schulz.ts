import * as tf from '@tensorflow/tfjs-core';
import type { GramSide, PolynomialCoefficients } from '@lmo/core/backend';

/**
 * The fused `newtonSchulz` kernel of the tfjs binding (see `FusedKernels` in `@lmo/core/backend`):
 * per matrix and per triple `(a, b, c)`, on `'left'` `A = X·Xᵀ; B = b·A + c·A·A; X ← a·X + B·X`,
 * on `'right'` `A = Xᵀ·X; B = b·A + c·A·A; X ← a·X + X·B`.
 *
 * Each step runs in its own `tf.tidy` and the previous iterate is freed as soon as the next exists,
 * so peak memory is a few Gram-sized and matrix-sized buffers whatever the number of steps.
 * With `materializeTransposes` (default) `X·Xᵀ` and `Xᵀ·X` use `tf.transpose` + a plain `tf.matMul`
 * rather than the transpose flags (see `TfjsBackendOptions.materializeTransposes`).
 */
export function tfjsNewtonSchulz(
  xs: readonly tf.Tensor[],
  coefficients: readonly PolynomialCoefficients[],
  side: GramSide,
  options: { readonly materializeTransposes?: boolean } = {},
): tf.Tensor[] {
  const materialize = options.materializeTransposes ?? true;
  const left = side === 'left';
  const gramOf = (m: tf.Tensor): tf.Tensor => {
    if (materialize) return left ? tf.matMul(m, tf.transpose(m)) : tf.matMul(tf.transpose(m), m);
    return left ? tf.matMul(m, m, false, true) : tf.matMul(m, m, true, false);
  };
  return xs.map((x) => {
    let current = tf.clone(x);
    for (const [a, b, c] of coefficients) {
      const previous = current;
      current = tf.tidy(() => {
        const gram = gramOf(previous);
        const poly = tf.add(tf.mul(gram, b), tf.mul(tf.matMul(gram, gram), c));
        return tf.add(tf.mul(previous, a), left ? tf.matMul(poly, previous) : tf.matMul(previous, poly));
      });
      previous.dispose();
    }
    return current;
  });
}
