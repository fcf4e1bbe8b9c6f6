import { describe, expect, it } from 'vitest';
import { relativeError } from '@lmo/core/testing';
import { BatchSampler } from '../src/data/char-dataset.js';
import { initParams } from '../src/init.js';
import type { GptModel } from '../src/model.js';
import { BACKENDS, createModel } from '../src/node/registry.js';
import { readBuffers } from '../src/optim/buffers.js';
import { createTrainOptimizer, nanoGptSchedule, type OptimizerName } from '../src/optim/optimizers.js';
import { tinyConfig, tinyData } from './helpers/tiny-gpt.js';

// ScionLight keeps no momentum: its gradient buffer G is where the model's backward pass adds each
// step's gradients (G ← G + g), and its step scales G by (1 − α) afterwards. So G is Scion's momentum
// d divided by α (d ← (1 − α)·d + α·g), and as every LMO here is scale-invariant (up to its ε),
// ScionLight's updates are Scion's. A model that does not accumulate leaves G at zero, and then
// ScionLight's updates are not Scion's.
const cfg = tinyConfig(8, 16);
const B = 3;
const STEPS = 3;

/** The weights after `STEPS` steps of `optimizer` from the initial weights, minus those weights. */
async function updates<T>(model: GptModel<T>, optimizer: OptimizerName): Promise<Record<string, Float32Array>> {
  const init = initParams(cfg, 5);
  const training = await model.train(init, (params) => createTrainOptimizer(optimizer, model.tensors, params, 2 ** -6, nanoGptSchedule(STEPS, 1)), B);
  try {
    const sampler = new BatchSampler(tinyData.train, B, cfg.blockSize, 13);
    for (let i = 0; i < STEPS; i++) await training.step(sampler.next());
    const final = await readBuffers(model.tensors, training.params);
    return Object.fromEntries(Object.entries(final).map(([name, x]) => [name, x.map((v, i) => v - init.get(name)![i]!)]));
  } finally {
    await training.dispose();
  }
}

describe.each(BACKENDS.filter((b) => b !== 'gpujs-webgpu'))('ScionLight learns on %s', (name) => {
  it(`its ${STEPS} updates are Scion's: the backward pass accumulates into its gradient buffers`, async () => {
    const model = await createModel(name, cfg);
    try {
      const scion = await updates(model, 'scion');
      const light = await updates(model, 'scionlight');
      for (const [param, d] of Object.entries(scion)) {
        expect(Math.max(...d.map(Math.abs)), param).toBeGreaterThan(0);
        expect(relativeError(light[param]!, d), param).toBeLessThan(1e-3);
      }
    } finally {
      await model.dispose();
    }
  });
});
