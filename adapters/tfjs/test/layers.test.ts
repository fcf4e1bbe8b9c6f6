import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { biasRMS, sign, spectral } from '@lmo/core';
import { ScionOptimizer, train } from '../src/index.js';
import { normals } from './helpers/data.js';
import { useEngine } from './helpers/engines.js';

/** A synthetic 3-class task: labels are the argmax of a fixed random linear map of 8 features. */
function task(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(normals(n * 8, seed), [n, 8]);
    const teacher = tf.tensor2d(normals(8 * 3, 999), [8, 3]);
    const y = tf.cast(tf.oneHot(tf.argMax(tf.matMul(x, teacher), 1), 3), 'float32') as tf.Tensor2D;
    return { x, y };
  });
}

function mlp(seed: number): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed + s });
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 32, inputShape: [8], activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(3), name: 'head' }),
    ],
  });
}

async function fit(model: tfl.Sequential, optimizer: tf.Optimizer, data: { x: tf.Tensor; y: tf.Tensor }, epochs: number): Promise<number[]> {
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const history = await model.fit(data.x, data.y, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  return history.history['loss'] as number[];
}

/**
 * Layer groups for an MLP, as in the paper: hidden kernels spectral (ρ = 3), the classifier head
 * sign (ρ = 30), biases RMS. "head/kernel" also matches the uniquified "head/kernel_1".
 */
const scionGroups = () => [
  { name: 'hidden_layers', match: 'dense_Dense*/kernel', norm: spectral(), scale: 3 },
  { name: 'head', match: 'head/kernel', norm: sign(), scale: 30 },
  { name: 'biases', match: '*/bias', norm: biasRMS() },
];

describe('tf.layers: model.compile + model.fit on tfjs-cpu', () => {
  beforeAll(async () => {
    await useEngine('cpu');
  });

  it('Scion reaches the loss Adam reaches on a small MLP', async () => {
    const data = task(128, 1);
    const epochs = 30;
    const adamModel = mlp(10);
    const adam = await fit(adamModel, tf.train.adam(1e-2), data, epochs);
    const scionModel = mlp(10);
    const steps = epochs * 4; // 128 samples, batches of 32
    const opt = train.scion({ lr: 0.02, schedule: { kind: 'cosineDecay', steps }, groups: scionGroups() });
    const scion = await fit(scionModel, opt, data, epochs);
    const target = adam[adam.length - 1]!;
    expect(scion[scion.length - 1]).toBeLessThanOrEqual(target);
    expect(opt.parameters.filter((p) => p.layout === 'keras')).toHaveLength(3);
    tf.dispose([data.x, data.y]);
    adamModel.dispose();
    scionModel.dispose();
  });

  it('save (includeOptimizer) → load → continue equals uninterrupted training', async () => {
    const data = task(96, 2);
    const options = { lr: 0.03, momentum: 0.2, schedule: { kind: 'linearWarmup', steps: 5 } as const, groups: scionGroups() };

    const straight = mlp(20);
    await fit(straight, new ScionOptimizer(options), data, 4);

    const first = mlp(20);
    await fit(first, new ScionOptimizer(options), data, 2);
    let saved: tf.io.ModelArtifacts | undefined;
    await first.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const reloaded = (await tfl.loadLayersModel(tf.io.fromMemory(saved!))) as tfl.Sequential;
    expect(reloaded.optimizer).toBeInstanceOf(ScionOptimizer);
    expect(reloaded.optimizer.iterations).toBe(first.optimizer.iterations);
    // globs with "_" survive tf.layers' snake_case → camelCase conversion of the training config
    expect(reloaded.optimizer.getConfig()).toEqual(first.optimizer.getConfig());
    // In one process tfjs renames the reloaded variables ("…/kernel_1"); the state still finds them.
    const history = await reloaded.fit(data.x, data.y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    expect(history.history['loss']).toHaveLength(2);

    const a = straight.getWeights().map((w) => w.dataSync());
    const b = reloaded.getWeights().map((w) => w.dataSync());
    expect(b).toHaveLength(a.length);
    a.forEach((w, i) => expect(Array.from(b[i]!)).toEqual(Array.from(w)));
    expect((reloaded.optimizer as ScionOptimizer).parameters.every((p) => p.buffered)).toBe(true);
    [straight, first, reloaded].forEach((m) => m.dispose());
    tf.dispose([data.x, data.y]);
  });

  it('optimizer weights are named by variable and restore exactly through setWeights', async () => {
    const model = mlp(30);
    const data = task(64, 3);
    const opt = new ScionOptimizer({ lr: 0.02, groups: [{ match: '*/kernel', norm: sign() }, { norm: biasRMS() }] });
    await fit(model, opt, data, 1);
    const weights = await opt.getWeights();
    expect(weights[0]!.name).toBe('iter');
    expect(weights.slice(1).map((w) => w.name)).toEqual(model.trainableWeights.map((w) => `${w.name}/lmo_momentum`));
    const copy = new ScionOptimizer(opt.options);
    await copy.setWeights(weights.map(({ name, tensor }) => ({ name, tensor: tensor.clone() })));
    const again = await copy.getWeights();
    expect(again.map((w) => w.name)).toEqual(weights.map((w) => w.name));
    again.forEach((w, i) => expect(Array.from(w.tensor.dataSync())).toEqual(Array.from(weights[i]!.tensor.dataSync())));
    await expect(new ScionOptimizer({ ...opt.options, light: true }).setWeights(weights)).rejects.toThrow(/non-light/);
    copy.dispose();
    model.dispose();
    tf.dispose([data.x, data.y]);
  });
});
