import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitClassifier } from '../examples/tfjs-fit.js';
import { customLoop } from '../examples/tfjs-custom-loop.js';

tf.env().set('IS_TEST', true); // no "install tfjs-node" banner

describe('tfjs examples (cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('examples/tfjs-fit.ts: model.fit with Scion lowers the loss; kernels read in the Keras layout', async () => {
    const x = tf.randomNormal([128, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const teacher = tf.randomNormal([8, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.cast(tf.oneHot(tf.argMax(tf.matMul(x, teacher), 1), 3), 'float32') as tf.Tensor2D;
    const { model, optimizer, losses } = await fitClassifier(x, y, 20);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);
    const groups = Object.fromEntries(optimizer.parameters.map((p) => [p.name, `${p.group}:${p.layout}:${p.norm}`]));
    expect(Object.values(groups).sort()).toEqual([
      'biases:reference:biasRMS', 'biases:reference:biasRMS', 'biases:reference:biasRMS',
      'head:keras:transposed', 'hidden:keras:transposed', 'hidden:keras:transposed',
    ]);
    model.dispose();
    tf.dispose([x, teacher, y]);
  });

  it('examples/tfjs-custom-loop.ts: minimize and applyGradients both work', () => {
    const x = tf.randomNormal([64, 6], 0, 1, 'float32', 3) as tf.Tensor2D;
    const y = tf.matMul(x, tf.randomNormal([6, 2], 0, 0.5, 'float32', 4)) as tf.Tensor2D;
    const losses = customLoop(x, y, 100);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.2);
    tf.dispose([x, y]);
  });
});
