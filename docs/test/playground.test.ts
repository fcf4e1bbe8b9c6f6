/**
 * The playground's model, AdamW and session in Node on tfjs-backend-wasm (the same tfjs code the
 * page runs); its data and batches are @lmo/gpt's, tested there. Expected values are computed here from the formulas, in float64.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipByGlobalNorm } from '../.vitepress/theme/playground/adamw.js';
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

describe('AdamW', () => {
  it('matches the decoupled-weight-decay update, written out in float64, over two steps', () => {
    const lr = 0.01;
    const [b1, b2, eps, wd] = [0.9, 0.99, 1e-8, 0.1];
    const w0 = [0.5, -0.25, 1.5, 2.0];
    const gain0 = [1, -2];
    const grads = [
      { w: [0.1, -0.2, 0.3, 0.05], gain: [0.4, 0.01] },
      { w: [-0.3, 0.2, 0.1, -0.05], gain: [-0.2, 0.03] },
    ];
    // float64 reference: x ← x(1 − γλ) [2-D only]; m, v EMAs; x ← x − γ m̂ / (√v̂ + ε)
    const expected = (x0: number[], gs: number[][], decay: boolean): number[] => {
      const x = [...x0];
      const m = x.map(() => 0);
      const v = x.map(() => 0);
      gs.forEach((g, k) => {
        const t = k + 1;
        for (let i = 0; i < x.length; i++) {
          m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
          v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
          const mh = m[i]! / (1 - b1 ** t);
          const vh = v[i]! / (1 - b2 ** t);
          x[i] = (decay ? x[i]! * (1 - lr * wd) : x[i]!) - (lr * mh) / (Math.sqrt(vh) + eps);
        }
      });
      return x;
    };
    const vars = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d(w0, [2, 2]), true, 'adamw-test/w')],
      ['gain', tf.variable(tf.tensor1d(gain0), true, 'adamw-test/gain')],
    ]);
    const opt = new AdamW({ lr: () => lr, beta1: b1, beta2: b2, eps, weightDecay: wd });
    for (const g of grads) {
      const named = { w: tf.tensor2d(g.w, [2, 2]), gain: tf.tensor1d(g.gain) };
      opt.applyGradients(vars, named);
      tf.dispose(Object.values(named));
    }
    const w = Array.from(vars.get('w')!.dataSync());
    const gain = Array.from(vars.get('gain')!.dataSync());
    const ew = expected(w0, grads.map((g) => g.w), true);
    const eg = expected(gain0, grads.map((g) => g.gain), false);
    w.forEach((v, i) => expect(v).toBeCloseTo(ew[i]!, 6));
    gain.forEach((v, i) => expect(v).toBeCloseTo(eg[i]!, 6));
    opt.dispose();
    for (const v of vars.values()) v.dispose();
  });

  it('clips by global norm: factor maxNorm / (‖g‖ + 1e-6) above the limit, nothing below', () => {
    const a = [3, 0, 0];
    const b = [0, 4];
    const norm = Math.hypot(...a, ...b); // 5
    const grads = { a: tf.tensor1d(a), b: tf.tensor1d(b) };
    const clipped = clipByGlobalNorm(grads, 1);
    expect(clipped.norm.dataSync()[0]).toBeCloseTo(norm, 5);
    const f = 1 / (norm + 1e-6);
    expect(Array.from(clipped.grads.a!.dataSync())).toEqual(a.map((x) => expect.closeTo(x * f, 6)));
    expect(Array.from(clipped.grads.b!.dataSync())).toEqual(b.map((x) => expect.closeTo(x * f, 6)));
    const loose = clipByGlobalNorm(grads, 10);
    expect(Array.from(loose.grads.b!.dataSync())).toEqual(b);
    tf.dispose([...Object.values(grads), ...Object.values(clipped.grads), clipped.norm, ...Object.values(loose.grads), loose.norm]);
  });
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
