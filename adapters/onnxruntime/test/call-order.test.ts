/**
 * Awaiting is never what keeps data safe: a step issued without `await` still reads gradients that
 * are disposed right after it (dispose takes effect in call order), and nothing becomes an
 * unhandled rejection. And core's AdamW runs on the backend's host arrays: one WebAssembly pass per
 * step, no graph.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adamw, frobenius, scion, scionLight, type LmoOptimizer } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { onnxBackend, type OnnxTensor } from '../src/index.js';
import { pseudoRandom } from '../bench/nanogpt-params.js';

const b = onnxBackend({ intraOpNumThreads: 1 });
afterAll(() => b.close());

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const SHAPES = [[3, 4], [6]] as const;
const make = (seed: number): Map<string, OnnxTensor> => new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(pseudoRandom(s.reduce((a, d) => a * d, 1), seed + i), [...s])] as const));
const read = async (params: Map<string, OnnxTensor>): Promise<number[][]> => Promise.all([...params.values()].map(async (p) => Array.from(await b.read(p))));

describe.each([
  ['scion', (p: Map<string, OnnxTensor>) => scion(b, p, { lr: 0.05, norm: frobenius() })],
  ['scionLight', (p: Map<string, OnnxTensor>) => scionLight(b, p, { lr: 0.05, norm: frobenius() })],
  ['adamw', (p: Map<string, OnnxTensor>) => adamw(b, p, { lr: 0.01 })],
] as const)('%s: steps issued without await, their gradients disposed at once', (_name, make_) => {
  it('give what awaited steps give, and the disposed gradients are gone afterwards', async () => {
    const [pa, pb] = [make(1), make(1)];
    const oa: LmoOptimizer<OnnxTensor, 'async'> = make_(pa);
    const ob: LmoOptimizer<OnnxTensor, 'async'> = make_(pb);
    const issued: Array<Promise<void>> = [];
    const disposed: OnnxTensor[] = [];
    for (const k of [10, 20, 30]) {
      const grads = make(k);
      issued.push(oa.step(grads)); // no await
      for (const g of grads.values()) {
        b.dispose(g); // the user frees them right away
        disposed.push(g);
      }
    }
    await Promise.all(issued);
    for (const k of [10, 20, 30]) await ob.step(make(k));
    expect(await read(pa)).toEqual(await read(pb));
    expect(disposed.every((g) => !b.isTensor(g))).toBe(true);
    expect(oa.stepCount).toBe(3);
  });
});

describe("AdamW on onnxruntime's host arrays", () => {
  it('one WebAssembly pass per step (no graph), equal to AdamW on the reference backend', async () => {
    const params = make(5);
    const ref = new Map([...params].map(([name, p]) => [name, referenceBackend.fromArray(pseudoRandom(p.shape.reduce((a, d) => a * d, 1), name === 'p0' ? 5 : 6), p.shape)] as const));
    const opt = adamw(b, params, { lr: 0.01 });
    const oracle = adamw(referenceBackend, ref, { lr: 0.01 });
    const runs = b.stats.runs;
    for (const k of [1, 2, 3]) {
      const grads = make(40 + k);
      await opt.step(grads);
      oracle.step(new Map(SHAPES.map((s, i) => [`p${i}`, referenceBackend.fromArray(pseudoRandom(s.reduce((a, d) => a * d, 1), 40 + k + i), [...s])] as const)));
    }
    expect(b.stats.runs).toBe(runs); // no session.run: the step is host code
    expect(opt.ownedBytes).toBeGreaterThan(0);
    const got = await read(params);
    [...ref.values()].forEach((r, i) => referenceBackend.read(r).forEach((x, j) => expect(Math.abs(got[i]![j]! - x)).toBeLessThan(1e-6 * Math.max(1, Math.abs(x)))));
    // the state reads after every step issued before, without awaiting them
    const step = opt.step(make(50));
    const state = await opt.getState();
    await step;
    expect(state.step).toBe(4);
  });

  it('a parameter assigned elsewhere between steps is read again', async () => {
    const params = make(7);
    const opt = adamw(b, params, { lr: 0.01 });
    await opt.step(make(60));
    await b.run(() => b.assign(params.get('p1')!, b.fromArray(new Float32Array(6).fill(2), [6])));
    await opt.step(make(61));
    const p1 = await b.read(params.get('p1')!);
    expect(Math.abs(p1[0]! - 2)).toBeLessThan(0.05);
  });
});
