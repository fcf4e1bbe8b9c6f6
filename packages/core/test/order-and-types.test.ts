/**
 * Execution modes: types that know the mode, errors as rejections on async backends, and steps
 * that apply in call order (overlapping calls give exactly what awaited calls give).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { frobenius } from '../src/norms/frobenius.js';
import { spectral } from '../src/norms/spectral.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import type { OptimizerState } from '../src/optimizer/state.js';
import { referenceBackend, type RefTensor } from '../src/reference/index.js';
import { linearDecay } from '../src/schedules/index.js';
import { asyncBackend, tensor, values } from './helpers/backend.js';
import { gaussian } from './oracle/matrix.js';

const groups = [
  { match: 'w', norm: spectral() },
  { match: 'b', norm: frobenius(), momentum: 0.5 },
];
const params = () => ({ w: tensor(gaussian(12, 1), [4, 3]), b: tensor(gaussian(3, 2), [3]) });
const grads = (k: number) => ({ w: tensor(gaussian(12, 10 + k), [4, 3]), b: tensor(gaussian(3, 20 + k), [3]) });
const options = { lr: 0.2, schedule: linearDecay(6, 0.1), groups };

describe('types that know the mode', () => {
  it('sync backend: plain values; async backend: Promises', () => {
    const s = createOptimizer(referenceBackend, params(), options);
    expectTypeOf(s.step(grads(0))).toEqualTypeOf<void>();
    expectTypeOf(s.getState()).toEqualTypeOf<OptimizerState>();
    expectTypeOf(s.loadState).returns.toEqualTypeOf<void>();
    const a = createOptimizer(asyncBackend(referenceBackend).backend, params(), options);
    expectTypeOf(a.step).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(a.getState).returns.toEqualTypeOf<Promise<OptimizerState>>();
    expectTypeOf(a.init).returns.toEqualTypeOf<Promise<void>>();
  });
});

describe('an asynchronous backend', () => {
  it('reports every error as a rejection, never a synchronous throw', async () => {
    const a = createOptimizer(asyncBackend(referenceBackend).backend, params(), options);
    const calls: Array<() => unknown> = [
      () => a.step({ w: grads(0).w } as never),
      () => a.step({ ...grads(0), extra: grads(0).w } as never),
      () => a.step({ w: new Float32Array(12), b: grads(0).b } as never),
      () => a.loadState({ format: 'nope' } as never),
      () => a.step(undefined as never),
    ];
    for (const call of calls) {
      let result: unknown;
      expect(() => {
        result = call();
      }).not.toThrow();
      expect(result).toBeInstanceOf(Promise);
      await expect(result).rejects.toBeInstanceOf(LmoError);
    }
    expect(a.stepCount).toBe(0);
  });

  it('N overlapping step() calls give exactly what N awaited calls give, each at its own schedule step', async () => {
    const awaited = params();
    const overlapping = params();
    const x = createOptimizer(asyncBackend(referenceBackend).backend, awaited, options);
    const y = createOptimizer(asyncBackend(referenceBackend).backend, overlapping, options);
    for (let k = 0; k < 6; k++) await x.step(grads(k));
    const all = Array.from({ length: 6 }, (_, k) => y.step(grads(k)));
    expect(y.stepCount).toBe(0);
    await Promise.all(all);
    expect(y.stepCount).toBe(6);
    expect(values(overlapping.w)).toEqual(values(awaited.w));
    expect(values(overlapping.b)).toEqual(values(awaited.b));
    // And both equal the synchronous reference.
    const sync = params();
    const z = createOptimizer(referenceBackend, sync, options);
    for (let k = 0; k < 6; k++) z.step(grads(k));
    expect(values(overlapping.w)).toEqual(values(sync.w));
  });

  it('a failed step among overlapping ones changes nothing and takes no schedule step', async () => {
    const awaited = params();
    const overlapping = params();
    const dx = asyncBackend(referenceBackend);
    const dy = asyncBackend(referenceBackend);
    const x = createOptimizer(dx.backend, awaited, options);
    const y = createOptimizer(dy.backend, overlapping, options);
    await x.step(grads(0));
    dx.failNextRun(new Error('engine'));
    await expect(x.step(grads(1))).rejects.toThrow('engine');
    await x.step(grads(2));
    const first = y.step(grads(0));
    await Promise.resolve();
    const calls = [first, y.step(grads(1)), y.step(grads(2))];
    // fail the second run: it is the next to execute once the first has
    await first;
    dy.failNextRun(new Error('engine'));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(y.stepCount).toBe(2);
    expect(values(overlapping.w)).toEqual(values(awaited.w));
  });

  it('a read issued after an un-awaited step sees the step', async () => {
    const double = asyncBackend(referenceBackend);
    const p = params();
    const before = values(p.w);
    const opt = createOptimizer(double.backend, p, options);
    void opt.step(grads(0));
    const after = await double.backend.read(p.w);
    expect(Array.from(after)).not.toEqual(before);
    expect(opt.stepCount).toBe(1);
  });
});

describe('tensors of another backend are refused, on every backend', () => {
  it('raw arrays, plain objects and foreign handles as parameters or gradients', () => {
    const bad: Array<[string, unknown]> = [
      ['a raw Float32Array', new Float32Array(12)],
      ['a plain { data, shape } object', { data: new Float32Array(12), shape: [4, 3] }],
      ['a number', 3],
    ];
    for (const [what, x] of bad) {
      expect(() => createOptimizer(referenceBackend, { w: x as RefTensor }, { lr: 1, norm: frobenius() }), what).toThrow(/params\["w"\] is not a tensor of the reference backend/);
      const opt = createOptimizer(referenceBackend, params(), options);
      expect(() => opt.step({ ...grads(0), w: x as RefTensor }), what).toThrow(/grads\["w"\] is not a tensor of the reference backend/);
      expect(opt.stepCount).toBe(0);
    }
  });
});
