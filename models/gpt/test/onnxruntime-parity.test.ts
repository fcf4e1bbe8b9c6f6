import { describe, expect, it } from 'vitest';
import { relativeError } from '@lmo/core/testing';
import { BatchSampler } from '../src/data/char-dataset.js';
import { initParams } from '../src/init.js';
import type { GptModel, ParamMap } from '../src/model.js';
import { createModel } from '../src/node/registry.js';
import { onnxGpt } from '../src/onnxruntime/backend.js';
import { createTrainOptimizer, nanoGptSchedule, OPTIMIZERS } from '../src/optim/optimizers.js';
import { runSteps } from './helpers/runs.js';
import { tinyConfig, tinyData } from './helpers/tiny-gpt.js';

// A tiny GPT: loss and every gradient of the graph createOnnxTrainer builds from the forward graph,
// against the hand-written reference, over a few optimizer steps (Scion on each model).
const cfg = tinyConfig(16, 32);
const B = 4;
const STEPS = 3;
const scion =
  <T>(model: GptModel<T>) =>
  (params: ParamMap<T>) =>
    createTrainOptimizer('scion', model.tensors, params, OPTIMIZERS.scion.lr, nanoGptSchedule(STEPS, 0));

describe('onnxruntime model', () => {
  it('matches the reference model: loss, every gradient and logits over a few Scion steps', async () => {
    const refModel = await createModel('reference', cfg);
    const a = await runSteps(refModel, B, STEPS, scion(refModel));
    const ortModel = onnxGpt(cfg, { intraOpNumThreads: 1 });
    const b = await runSteps(ortModel, B, STEPS, scion(ortModel));
    for (let s = 0; s < STEPS; s++) {
      expect(Math.abs(b.losses[s]! - a.losses[s]!), `loss at step ${s}`).toBeLessThan(1e-4);
      for (const [k, g] of a.grads[s]!) expect(relativeError(b.grads[s]!.get(k)!, g), `${k} at step ${s}`).toBeLessThan(1e-3);
    }
    expect(Math.abs(b.evalLoss - a.evalLoss)).toBeLessThan(1e-4);
    for (let v = 0; v < a.logits.length; v++) expect(b.logits[v]).toBeCloseTo(a.logits[v]!, 4);
  });

  it('builds its training graph once: later steps open no session, and everything is released at the end', async () => {
    const model = onnxGpt(cfg, { intraOpNumThreads: 1 });
    const training = await model.train(initParams(cfg, 1), (params) => createTrainOptimizer('adamw', model.tensors, params, 1e-3, nanoGptSchedule(10)), B);
    const sampler = new BatchSampler(tinyData.train, B, cfg.blockSize, 3);
    await training.step(sampler.next());
    const sessions = model.tensors.sessionCount;
    for (let i = 1; i < STEPS; i++) await training.step(sampler.next());
    expect(model.tensors.sessionCount).toBe(sessions);
    await training.dispose();
    expect(model.tensors.sessionCount).toBe(0);
    await model.dispose();
  });

  it('is registered as "onnxruntime"', async () => {
    const m = await createModel('onnxruntime', cfg);
    expect(m.name).toBe('onnxruntime');
    await m.dispose();
  });
});
