import { describe, expect, it } from 'vitest';
import type { RefTensor } from '@lmo/core/reference';
import { relativeError } from '@lmo/core/testing';
import { BatchSampler } from '../src/data/char-dataset.js';
import type { ModelBackend } from '../src/model.js';
import { initParams } from '../src/init.js';
import { OnnxModelBackend } from '../src/onnxruntime/backend.js';
import { createModelBackend } from '../src/node/registry.js';
import { createTrainOptimizer, nanoGptSchedule, OPTIMIZERS } from '../src/optim/optimizers.js';
import { tinyConfig, tinyData } from './helpers/tiny-gpt.js';

// A tiny GPT: loss and every gradient of the ONNX graphs against the hand-written reference over a
// few optimizer steps (Scion on each backend), with the model's training graph compiled once.
const data = tinyData;
const cfg = tinyConfig(16, 32);
const B = 4;
const STEPS = 3;

interface Step {
  loss: number;
  grads: Map<string, Float32Array>;
}

async function trajectory(model: ModelBackend<unknown>): Promise<{ steps: Step[]; evalLoss: number; logits: Float32Array }> {
  const params = model.createParams(initParams(cfg, 7));
  const opt = createTrainOptimizer('scion', model.tensors, params, OPTIMIZERS.scion.lr, nanoGptSchedule(STEPS, 0));
  const sampler = new BatchSampler(data.train, B, cfg.blockSize, 11);
  const steps: Step[] = [];
  for (let i = 0; i < STEPS; i++) {
    const r = await model.lossAndGrads(params, sampler.next());
    const grads = new Map<string, Float32Array>();
    for (const [k, g] of r.grads) grads.set(k, Float32Array.from(await model.tensors.read(g)));
    steps.push({ loss: r.loss, grads });
    await opt.step(r.grads);
  }
  const evalLoss = await model.loss(params, sampler.next());
  const logits = await model.lastLogits(params, Int32Array.from([1, 2, 3, 4, 5]));
  opt.dispose();
  for (const p of params.values()) model.tensors.dispose(p);
  return { steps, evalLoss, logits };
}

describe('onnxruntime model backend', () => {
  it('matches the reference backend: loss, every gradient and logits over a few Scion steps, one training session', async () => {
    const ref = (await createModelBackend('reference', cfg)) as ModelBackend<RefTensor>;
    const ort = await OnnxModelBackend.create(cfg, { intraOpNumThreads: 1 });
    const a = await trajectory(ref as ModelBackend<unknown>);
    const b = await trajectory(ort as ModelBackend<unknown>);
    // Three training steps ran in one compiled session; eval loss and logits added one each.
    expect(ort.stats.sessionsCreated).toBe(3);
    expect(ort.stats.runs).toBe(STEPS + 2);
    for (let s = 0; s < STEPS; s++) {
      const x = a.steps[s]!;
      const y = b.steps[s]!;
      expect(Math.abs(y.loss - x.loss), `loss at step ${s}`).toBeLessThan(1e-4);
      for (const [k, g] of x.grads) expect(relativeError(y.grads.get(k)!, g), `${k} at step ${s}`).toBeLessThan(1e-3);
    }
    expect(Math.abs(b.evalLoss - a.evalLoss)).toBeLessThan(1e-4);
    for (let v = 0; v < a.logits.length; v++) expect(b.logits[v]).toBeCloseTo(a.logits[v]!, 4);
    ref.dispose();
    ort.dispose();
  });

  it('compiles its training graph once across steps', async () => {
    const ort = await OnnxModelBackend.create(cfg, { intraOpNumThreads: 1 });
    const params = ort.createParams(initParams(cfg, 1));
    const sampler = new BatchSampler(data.train, B, cfg.blockSize, 3);
    for (let i = 0; i < STEPS; i++) {
      await ort.lossAndGrads(params, sampler.next());
      expect(ort.sessionCount).toBe(1);
    }
    expect(ort.stats.runs).toBe(STEPS);
    for (const p of params.values()) ort.tensors.dispose(p);
    ort.dispose();
  });

  it('is registered as "onnxruntime"', async () => {
    const m = await createModelBackend('onnxruntime', cfg);
    expect(m.name).toBe('onnxruntime');
    m.dispose();
  });
});
