/**
 * The playground's session in Node on tfjs-backend-wasm (the same tfjs code the page runs). Its
 * model, data, batches, optimizers and sampler are @lmo/gpt's and @lmo/core's, each tested there;
 * this checks that the page's settings learn and that a session frees every tensor.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { niceTicks, smoothed } from '../.vitepress/theme/playground/chart.js';
import { DEFAULT_SETTINGS, PlaygroundSession } from '../.vitepress/theme/playground/session.js';

const corpus = readFileSync(new URL('../.vitepress/theme/playground/corpus.txt', import.meta.url), 'utf8');

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // threads do not work in Node
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm did not start');
  await tf.ready();
});

describe('PlaygroundSession', () => {
  it('with the page\'s defaults, 25 steps lower both validation losses, and dispose frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const session = await PlaygroundSession.create(corpus, DEFAULT_SETTINGS);
    while (session.steps < 25) await session.step();
    for (const kind of ['scion', 'adamw'] as const) {
      const [first, last] = [session.val[kind][0]!, session.val[kind].at(-1)!];
      console.log(`playground on wasm, ${kind}: validation loss ${first.loss.toFixed(4)} (step 0) → ${last.loss.toFixed(4)} (step ${last.step})`);
      expect(first.step).toBe(0);
      expect(last.step).toBe(25);
      expect(first.loss).toBeCloseTo(Math.log(session.data.vocabSize), 1);
      expect(last.loss).toBeLessThan(0.9 * first.loss);
      const sample = await session.sample(kind, 50);
      expect(sample).toHaveLength(50);
      expect([...sample].every((c) => session.data.chars.includes(c))).toBe(true);
    }
    await session.dispose();
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
