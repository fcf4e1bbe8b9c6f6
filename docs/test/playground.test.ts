/**
 * The playground's model and session in Node on tfjs-backend-wasm (the same tfjs code the page
 * runs); its data and batches are @lmo/gpt's and its AdamW is @lmo/core's, each tested there. Expected values are computed here from the formulas, in float64.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { niceTicks, smoothed } from '../.vitepress/theme/playground/chart.js';
import { CharGpt, parameterShapes } from '../.vitepress/theme/playground/model.js';
import { DEFAULT_SETTINGS, PlaygroundSession } from '../.vitepress/theme/playground/session.js';

const corpus = readFileSync(new URL('../.vitepress/theme/playground/corpus.txt', import.meta.url), 'utf8');

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // threads do not work in Node
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm did not start');
  await tf.ready();
});

describe('CharGpt', () => {
  const config = { vocab: 20, block: 8, embd: 16, heads: 2, layers: 2 };

  it('has nanoGPT\'s parameters: 2 tables, 12C² + 2C per block, a final gain', () => {
    const C = config.embd;
    const count = parameterShapes(config).reduce((n, [, shape]) => n + shape.reduce((a, d) => a * d, 1), 0);
    expect(count).toBe(config.vocab * C + config.block * C + config.layers * (12 * C * C + 2 * C) + C);
  });

  // The 0.02-scale init gives small logits, so predictions are nearly uniform. Not exactly: the
  // head is tied to wte, and the LayerNormed input embedding raises its own token's logit by ~0.2.
  it('starts at loss ≈ ln(vocab) (within 0.2)', () => {
    const model = new CharGpt(config, 'init-test', 1);
    const x = tf.tensor2d(Array.from({ length: 16 }, (_, i) => (i * 7) % 20), [2, 8], 'int32');
    const y = tf.tensor2d(Array.from({ length: 16 }, (_, i) => (i * 3) % 20), [2, 8], 'int32');
    const loss = model.loss(x, y);
    expect(Math.abs(loss.dataSync()[0]! - Math.log(config.vocab))).toBeLessThan(0.2);
    tf.dispose([x, y, loss]);
    model.dispose();
  });

  it('is causal: changing token j changes no logits before position j', () => {
    const model = new CharGpt(config, 'causal-test', 2);
    const base = [1, 2, 3, 4, 5, 6, 7, 8];
    const changed = [...base];
    changed[5] = 19;
    const a = model.logits(tf.tensor2d(base, [1, 8], 'int32'));
    const b = model.logits(tf.tensor2d(changed, [1, 8], 'int32'));
    const av = a.arraySync();
    const bv = b.arraySync();
    for (let t = 0; t < 5; t++) for (let v = 0; v < config.vocab; v++) expect(bv[t]![v]).toBeCloseTo(av[t]![v]!, 6);
    expect(Math.max(...bv[5]!.map((v, i) => Math.abs(v - av[5]![i]!)))).toBeGreaterThan(1e-4);
    tf.dispose([a, b]);
    model.dispose();
  });

  it('rejects a width that the heads do not divide', () => {
    expect(() => new CharGpt({ ...config, heads: 3 }, 'bad', 1)).toThrow(/embd \(16\) must be divisible by heads \(3\)/);
  });
});

describe('PlaygroundSession', () => {
  it('with the page\'s defaults, 25 steps lower both validation losses, and dispose frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const session = new PlaygroundSession(corpus, DEFAULT_SETTINGS);
    while (session.steps < 25) await session.step();
    for (const kind of ['scion', 'adamw'] as const) {
      const [first, last] = [session.val[kind][0]!, session.val[kind].at(-1)!];
      expect(first.step).toBe(0);
      expect(last.step).toBe(25);
      expect(first.loss).toBeCloseTo(Math.log(session.data.vocabSize), 1);
      expect(last.loss).toBeLessThan(0.9 * first.loss);
      const sample = await session.sample(kind, 50);
      expect(sample).toHaveLength(50);
      expect([...sample].every((c) => session.data.chars.includes(c))).toBe(true);
    }
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('chart helpers', () => {
  it('niceTicks picks 1/2/2.5/5 × 10ᵏ steps inside the range, at least as many as asked for', () => {
    expect(niceTicks(0, 300, 6)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(niceTicks(1.93, 4.2, 5)).toEqual([2, 2.5, 3, 3.5, 4]);
    // a loss axis after a few hundred steps (4.2 down to 1.75, padded): not just 2, 3, 4
    expect(niceTicks(1.63, 4.32, 5)).toEqual([2, 2.5, 3, 3.5, 4]);
  });

  it('smoothed is an exponential moving average starting at the first value', () => {
    expect(smoothed([4, 2, 2])).toEqual([[1, 4], [2, 0.9 * 4 + 0.1 * 2], [3, 0.9 * (0.9 * 4 + 0.1 * 2) + 0.1 * 2]]);
  });
});
