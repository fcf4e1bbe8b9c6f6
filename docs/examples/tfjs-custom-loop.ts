import * as tf from '@tensorflow/tfjs';
import { biasRMS, spectral } from '@lmo/core';
import { ScionOptimizer } from '@lmo/tfjs';

// Least squares y ≈ x·W + b with a hand-written loop.
const x = tf.randomNormal([64, 6], 0, 1, 'float32', 3);
const y = tf.matMul(x, tf.randomNormal([6, 2], 0, 0.5, 'float32', 4));
const W = tf.variable(tf.randomNormal([6, 2], 0, 0.1, 'float32', 1), true, 'fit/kernel');
const b = tf.variable(tf.zeros([2]), true, 'fit/bias');

const optimizer = new ScionOptimizer({
  lr: 0.05,
  groups: [
    // 'fit/kernel' is [d_in, d_out] (x·W): a name ending in "kernel" is read in the Keras layout.
    { match: '*/kernel', norm: spectral(), scale: 5 },
    { match: '*/bias', norm: biasRMS(), scale: 1 },
  ],
});
const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, W), b), y))) as tf.Scalar);

export const losses: number[] = [];
for (let step = 0; step < 100; step++) {
  if (step % 2 === 0) {
    // 1. the tf.Optimizer way
    const cost = optimizer.minimize(loss, true)!;
    losses.push(cost.dataSync()[0]!);
    cost.dispose();
  } else {
    // 2. explicit gradients, e.g. to clip or log them first
    const { value, grads } = tf.variableGrads(loss);
    optimizer.applyGradients(grads); // synchronous, inside tf.tidy
    losses.push(value.dataSync()[0]!);
    tf.dispose([value, ...Object.values(grads)]);
  }
}
console.log(`loss ${losses[0]!.toFixed(4)} → ${losses[99]!.toFixed(4)} after 100 steps`);
optimizer.dispose();
tf.dispose([W, b, x, y]);
