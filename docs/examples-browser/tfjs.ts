import * as tf from '@tensorflow/tfjs-core';
import { biasRMS, spectral } from '@lmo/core';
import { ScionOptimizer } from '@lmo/tfjs';
import { pickBackend } from './tfjs-setup.js';

/** Least squares y ≈ x·W + b on the best backend of this browser, with Scion. */
export async function trainInBrowser(steps = 50) {
  const backend = await pickBackend();
  const x = tf.randomNormal([128, 16], 0, 1, 'float32', 1);
  const y = tf.matMul(x, tf.randomNormal([16, 4], 0, 0.5, 'float32', 2));
  const W = tf.variable(tf.zeros([16, 4]), true, 'fit/kernel');
  const b = tf.variable(tf.zeros([4]), true, 'fit/bias');
  const optimizer = new ScionOptimizer({
    lr: 0.05,
    groups: [
      { match: '*/kernel', norm: spectral(), scale: 5 },
      { match: '*/bias', norm: biasRMS(), scale: 1 },
    ],
    // The NaN/Inf check reads one number back with dataSync() every step. On webgpu, synchronous
    // reads are slow (and broken on some software adapters): skip the check there.
    nonFinite: backend === 'webgpu' ? 'ignore' : 'throw',
  });

  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const cost = optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, W), b), y))) as tf.Scalar, true)!;
    losses.push((await cost.data())[0]!); // read asynchronously: the page stays responsive
    cost.dispose();
  }
  optimizer.dispose();
  tf.dispose([x, y, W, b]);
  return { backend, losses };
}
