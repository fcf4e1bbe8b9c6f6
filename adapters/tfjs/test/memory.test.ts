import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasRMS, colNorm, sign, spectral, spectralConv } from '@lmo/core';
import { ScionOptimizer, type ScionOptimizerOptions } from '../src/index.js';
import { normals } from './helpers/data.js';
import { ENGINES, useEngine } from './helpers/engines.js';

const STEPS = 1000;

function model(tag: string) {
  const v = (shape: number[], name: string, seed: number) =>
    tf.variable(tf.tensor(normals(shape.reduce((a, d) => a * d, 1), seed, 0.3), shape), true, `${tag}/${name}`);
  const vars = {
    kernel: v([6, 4], 'dense/kernel', 1),
    bias: v([4], 'dense/bias', 2),
    emb: v([10, 6], 'emb/embeddings', 3),
    conv: v([3, 3, 2, 4], 'conv/kernel', 4),
    head: v([4, 3], 'head/kernel', 5),
  };
  const x = tf.tensor(normals(5 * 6, 6), [5, 6]);
  const patch = tf.tensor(normals(3 * 3 * 2, 7), [1, 18]);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const h = tf.tanh(tf.add(tf.matMul(tf.add(x, tf.slice(vars.emb, [0, 0], [5, 6])), vars.kernel), vars.bias));
      const c = tf.matMul(patch, tf.reshape(vars.conv, [18, 4]));
      return tf.mean(tf.square(tf.matMul(tf.add(h, c), vars.head))) as tf.Scalar;
    });
  return { vars: Object.values(vars), inputs: [x, patch], loss };
}

const GROUPS: ScionOptimizerOptions['groups'] = [
  { match: '*/dense/kernel', norm: spectral() },
  { match: '*/conv/kernel', norm: spectralConv() },
  { match: '*/embeddings', norm: colNorm({ transpose: true }) },
  { match: '*/head/kernel', norm: sign() },
  { norm: biasRMS() },
];

describe.each(ENGINES)('memory on tfjs-%s', (engine) => {
  beforeAll(async () => {
    await useEngine(engine);
  });

  it.each([
    ['scion', STEPS, { lr: 1e-3, groups: GROUPS }],
    ['scionLight (uSCG)', 300, { lr: 1e-3, groups: GROUPS, light: true, unconstrained: true }],
  ] as const)('%s: numTensors is the same after 1 and after %i steps; dispose() frees every slot', async (tag, steps, options) => {
    const m = model(`mem_${engine}_${tag.replace(/\W/g, '')}`);
    const baseline = tf.memory().numTensors;
    const opt = new ScionOptimizer(options);
    opt.minimize(m.loss);
    const afterOne = tf.memory().numTensors;
    expect(afterOne).toBe(baseline + m.vars.length); // one buffer per variable, nothing else
    for (let i = 1; i < steps; i++) opt.minimize(m.loss);
    expect(tf.memory().numTensors).toBe(afterOne);
    expect(opt.iterations).toBe(steps);
    await opt.getWeights();
    await opt.getWeights();
    expect(tf.memory().numTensors).toBe(afterOne + 1); // the iter scalar of the last getWeights
    opt.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose([...m.vars, ...m.inputs]);
  });
});
