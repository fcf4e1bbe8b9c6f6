import { describe, expect, it } from 'vitest';
import { relativeError } from '@lmo/core/testing';
import { createModel } from '../src/node/registry.js';
import { runSteps } from './helpers/runs.js';
import { tinyConfig } from './helpers/tiny-gpt.js';

// A tiny GPT on a small corpus: parity of loss and every gradient against the reference model.
const cfg = tinyConfig(8, 16);

describe.each(['tfjs-cpu', 'tfjs-wasm'])('%s matches the reference model', (name) => {
  it('loss, gradients of every parameter, and logits agree to fp32 tolerance', async () => {
    const ref = await runSteps(await createModel('reference', cfg), 3, 1);
    const other = await runSteps(await createModel(name, cfg), 3, 1);
    // the eval batch is the next one, so compare each model's eval loss with the other's
    expect(Math.abs(other.losses[0]! - ref.losses[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(other.evalLoss - ref.evalLoss)).toBeLessThan(1e-5);
    for (const [k, g] of ref.grads[0]!) expect(relativeError(other.grads[0]!.get(k)!, g), k).toBeLessThan(1e-4);
    for (let v = 0; v < ref.logits.length; v++) expect(other.logits[v]).toBeCloseTo(ref.logits[v]!, 4);
  });
});
