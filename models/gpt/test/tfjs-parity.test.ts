import { describe, expect, it } from 'vitest';
import { relativeError } from '@lmo/core/testing';
import { BatchSampler } from '../src/data/char-dataset.js';
import type { ModelBackend } from '../src/model.js';
import { initParams } from '../src/init.js';
import { createModelBackend } from '../src/node/registry.js';
import { tinyConfig, tinyData } from './helpers/tiny-gpt.js';

// A tiny GPT on a small corpus: parity of loss and every gradient against the reference backend.
const data = tinyData;
const cfg = tinyConfig(8, 16);
const B = 3;

async function lossAndGrads(name: string): Promise<{ loss: number; evalLoss: number; grads: Map<string, Float32Array>; logits: Float32Array }> {
  const model = (await createModelBackend(name, cfg)) as ModelBackend<unknown>;
  const params = model.createParams(initParams(cfg, 7));
  const batch = new BatchSampler(data.train, B, cfg.blockSize, 11).next();
  const r = await model.lossAndGrads(params, batch);
  const grads = new Map<string, Float32Array>();
  for (const [k, g] of r.grads) grads.set(k, Float32Array.from(await model.tensors.read(g)));
  const evalLoss = await model.loss(params, batch);
  const logits = await model.lastLogits(params, Int32Array.from([1, 2, 3, 4, 5]));
  for (const p of params.values()) model.tensors.dispose(p);
  model.dispose();
  return { loss: r.loss, evalLoss, grads, logits };
}

describe.each(['tfjs-cpu', 'tfjs-wasm'])('%s matches the reference backend', (name) => {
  it('loss, gradients of every parameter, and logits agree to fp32 tolerance', async () => {
    const ref = await lossAndGrads('reference');
    const other = await lossAndGrads(name);
    expect(Math.abs(other.loss - ref.loss)).toBeLessThan(1e-5);
    expect(Math.abs(other.evalLoss - ref.evalLoss)).toBeLessThan(1e-5);
    expect(Math.abs(ref.evalLoss - ref.loss)).toBeLessThan(1e-6);
    for (const [k, g] of ref.grads) expect(relativeError(other.grads.get(k)!, g), k).toBeLessThan(1e-4);
    for (let v = 0; v < ref.logits.length; v++) expect(other.logits[v]).toBeCloseTo(ref.logits[v]!, 4);
  });
});
