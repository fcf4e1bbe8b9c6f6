/**
 * The optimizer over an asynchronous (compiling) backend: a test double whose `read`, `run` and
 * `allFinite` answer with Promises and whose `run` applies its writes only when "execution"
 * succeeds.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { colNorm } from '../src/norms/col-norm.js';
import { frobenius } from '../src/norms/frobenius.js';
import { spectral } from '../src/norms/spectral.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import type { OptimizerOptions } from '../src/optimizer/options.js';
import type { RefTensor } from '../src/reference/index.js';
import { linearWarmup } from '../src/schedules/index.js';
import { asyncBackend, caught, plainState, ref, snapshot, tensor, values } from './helpers/backend.js';
import { awayFromZero, rng } from './helpers/f64.js';

const LAYOUT: Record<string, number[]> = { w: [3, 4], v: [4, 2], b: [3] };

function params(): Record<string, RefTensor> {
  const next = rng(11);
  return Object.fromEntries(Object.entries(LAYOUT).map(([n, s]) => [n, tensor(awayFromZero(next, s.reduce((a, d) => a * d, 1), 0), s)]));
}

function grads(k: number): Record<string, RefTensor> {
  const next = rng(100 + k);
  return Object.fromEntries(Object.entries(LAYOUT).map(([n, s]) => [n, tensor(awayFromZero(next, s.reduce((a, d) => a * d, 1), 0.1), s)]));
}

const OPTIONS: OptimizerOptions = {
  lr: 0.1,
  schedule: linearWarmup(3),
  groups: [
    { match: 'w', norm: colNorm(), momentum: 0.4 },
    { match: 'v', norm: spectral(), scale: 2 },
    { match: 'b', norm: frobenius(), momentum: 1, unconstrained: true },
  ],
};

function pair(options: Partial<OptimizerOptions> = {}) {
  const double = asyncBackend<RefTensor>(ref);
  const pa = params();
  const ps = params();
  const opts = { ...OPTIONS, ...options } as OptimizerOptions;
  return {
    double,
    pa,
    ps,
    async: createOptimizer(double.backend, pa, opts),
    sync: createOptimizer(ref, ps, opts),
  };
}

function bits(xs: number[]): string {
  return Array.from(new Uint32Array(Float32Array.from(xs).buffer)).join(',');
}

describe('an asynchronous backend', () => {
  it('step, getState, loadState and init return Promises and give the same results as the sync backend', async () => {
    const { double, pa, ps, async: a, sync: s } = pair();
    for (let k = 0; k < 6; k++) {
      const r = a.step(grads(k));
      expect(r).toBeInstanceOf(Promise);
      await r;
      expect(s.step(grads(k))).toBeUndefined();
      expect(a.stepCount).toBe(k + 1);
      for (const n of Object.keys(LAYOUT)) expect(bits(values(pa[n]!)), `${n} step ${k}`).toBe(bits(values(ps[n]!)));
    }
    expect(double.completedRuns).toBe(6);
    const sa = a.getState();
    expect(sa).toBeInstanceOf(Promise);
    const stateA = await sa;
    expect(plainState(stateA)).toEqual(plainState(s.getState() as Awaited<typeof sa>));

    const fresh = createOptimizer(double.backend, params(), OPTIONS);
    const loaded = fresh.loadState(stateA);
    expect(loaded).toBeInstanceOf(Promise);
    await loaded;
    expect(plainState(await fresh.getState())).toEqual(plainState(stateA));

    const init = a.init(5);
    expect(init).toBeInstanceOf(Promise);
    await init;
    s.init(5);
    for (const n of Object.keys(LAYOUT)) expect(bits(values(pa[n]!)), n).toBe(bits(values(ps[n]!)));
    expect(plainState(await a.getState())).toEqual(plainState(s.getState() as Awaited<typeof sa>));
  });

  it('a rejected run leaves parameters, state and step count unchanged; training then continues exactly', async () => {
    const { double, pa, ps, async: a, sync: s } = pair();
    for (let k = 0; k < 3; k++) {
      await a.step(grads(k));
      s.step(grads(k));
    }
    const before = await snapshot(a, pa, double.backend);
    const failure = new Error('device lost');
    double.failNextRun(failure);
    await expect(a.step(grads(99))).rejects.toBe(failure);
    expect(await snapshot(a, pa, double.backend)).toEqual(before);
    expect(a.stepCount).toBe(3);
    for (let k = 3; k < 6; k++) {
      await a.step(grads(k));
      s.step(grads(k));
    }
    for (const n of Object.keys(LAYOUT)) expect(bits(values(pa[n]!)), n).toBe(bits(values(ps[n]!)));
  });

  it('a rejected loadState or init run changes nothing', async () => {
    const { double, pa, async: a } = pair();
    await a.step(grads(0));
    await a.step(grads(1));
    const other = createOptimizer(double.backend, params(), OPTIONS);
    await other.step(grads(7));
    const foreign = await other.getState();
    const before = await snapshot(a, pa, double.backend);
    double.failNextRun(new Error('load failed'));
    await expect(a.loadState(foreign)).rejects.toThrow('load failed');
    expect(await snapshot(a, pa, double.backend)).toEqual(before);
    double.failNextRun(new Error('init failed'));
    await expect(a.init(3)).rejects.toThrow('init failed');
    expect(await snapshot(a, pa, double.backend)).toEqual(before);
  });

  it('NaN gradients: the default policy rejects with NON_FINITE_GRADIENT and writes nothing; skip resolves and counts', async () => {
    const { double, pa, async: a } = pair();
    await a.step(grads(0));
    const before = await snapshot(a, pa, double.backend);
    const bad = { ...grads(1), b: tensor([1, Number.NaN, 2], [3]) };
    const e = await caught(() => a.step(bad));
    expect(e).toBeInstanceOf(LmoError);
    expect((e as LmoError).code).toBe('NON_FINITE_GRADIENT');
    // Like the sync path, the message names the offending parameter (and only it).
    expect((e as LmoError).message).toContain('"b"');
    expect((e as LmoError).message).not.toContain('"w"');
    expect(await snapshot(a, pa, double.backend)).toEqual(before);

    const { double: d2, pa: p2, async: b } = pair({ nonFinite: 'skip' });
    await b.step(grads(0));
    const before2 = await snapshot(b, p2, d2.backend);
    const r = b.step(bad);
    expect(r).toBeInstanceOf(Promise);
    await r;
    expect(b.skippedSteps).toBe(1);
    expect(b.stepCount).toBe(1);
    expect((await snapshot(b, p2, d2.backend)).params).toEqual(before2.params);
  });

  it('validation errors (shape, missing, unknown) surface, thrown or rejected, and write nothing', async () => {
    const { double, pa, async: a } = pair();
    await a.step(grads(0));
    const before = await snapshot(a, pa, double.backend);
    const cases: Array<[Record<string, RefTensor>, string]> = [
      [{ ...grads(1), w: tensor(new Array<number>(12).fill(1), [4, 3]) }, 'SHAPE_MISMATCH'],
      [{ w: grads(1).w!, v: grads(1).v! }, 'MISSING_GRADIENT'],
      [{ ...grads(1), extra: tensor([1], [1]) }, 'UNKNOWN_PARAMETER'],
    ];
    for (const [g, code] of cases) {
      const e = await caught(() => a.step(g));
      expect((e as LmoError).code).toBe(code);
    }
    expect(await snapshot(a, pa, double.backend)).toEqual(before);
  });

  it('ScionLight: G is scaled only once the run succeeds', async () => {
    const double = asyncBackend<RefTensor>(ref);
    const p = params();
    const G = grads(0);
    const opt = createOptimizer(double.backend, p, { ...OPTIONS, light: true, gradients: G, groups: OPTIONS.groups!.map((g) => ({ ...g, momentum: 0.5 })) });
    const g0 = Object.fromEntries(Object.entries(G).map(([n, t]) => [n, values(t)]));
    double.failNextRun(new Error('nope'));
    await expect(opt.step()).rejects.toThrow('nope');
    for (const n of Object.keys(LAYOUT)) expect(values(G[n]!), n).toEqual(g0[n]);
    await opt.step();
    for (const n of Object.keys(LAYOUT)) expect(values(G[n]!), n).toEqual(g0[n]!.map((v) => Math.fround(0.5 * v)));
  });
});
