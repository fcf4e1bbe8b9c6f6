/**
 * Bad inputs: every error has its code and a message naming the culprit, and leaves parameters,
 * state and step count exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import { LmoError, type LmoErrorCode } from '../src/errors.js';
import { colNorm } from '../src/norms/col-norm.js';
import { frobenius } from '../src/norms/frobenius.js';
import type { Norm } from '../src/norms/norm.js';
import { sign, signUnscaled } from '../src/norms/sign.js';
import { spectral } from '../src/norms/spectral.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import type { NonFinitePolicy, OptimizerOptions } from '../src/optimizer/options.js';
import type { RefTensor } from '../src/reference/index.js';
import { ref, snapshot, spy, tensor, values } from './helpers/backend.js';

function expectLmo(f: () => unknown, code: LmoErrorCode, ...fragments: string[]): LmoError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(LmoError);
  const e = error as LmoError;
  expect(e.code, e.message).toBe(code);
  for (const s of fragments) expect(e.message).toContain(s);
  return e;
}

function params(): Record<string, RefTensor> {
  return {
    'h.0.w': tensor([0.1, -0.2, 0.3, -0.4, 0.5, -0.6], [2, 3]),
    'h.0.b': tensor([0.01, 0.02], [2]),
  };
}

function grads(scale = 1): Record<string, RefTensor> {
  return {
    'h.0.w': tensor([1, 2, -3, 4, -5, 6].map((v) => v * scale), [2, 3]),
    'h.0.b': tensor([-1, 1].map((v) => v * scale), [2]),
  };
}

const GROUPS = [
  { name: 'mat', match: 'h.*.w', norm: colNorm() },
  { name: 'vec', match: 'h.*.b', norm: frobenius() },
];

function make(options: Partial<OptimizerOptions> = {}, backend = ref) {
  const p = params();
  const opt = createOptimizer(backend, p, { lr: 0.1, momentum: 0.5, groups: GROUPS, ...options } as OptimizerOptions);
  return { p, opt };
}

describe('constructor: invalid hyperparameters (INVALID_HYPERPARAMETER)', () => {
  const bad = [-0.1, Number.NaN, Infinity, -Infinity, '0.1', undefined, null];

  it('lr: negative, NaN, ±Infinity, not a number, missing; the message names `lr`', () => {
    for (const lr of bad) expectLmo(() => createOptimizer(ref, params(), { lr } as unknown as OptimizerOptions), 'INVALID_HYPERPARAMETER', 'lr', String(lr));
    // 0 is a valid lr (a frozen step).
    expect(() => createOptimizer(ref, params(), { lr: 0 })).not.toThrow();
  });

  it('a group\'s lr: the message names `groups[i] (name).lr`', () => {
    for (const lr of [-1, Number.NaN, Infinity]) {
      expectLmo(
        () => createOptimizer(ref, params(), { lr: 0.1, groups: [GROUPS[0]!, { ...GROUPS[1]!, lr }] }),
        'INVALID_HYPERPARAMETER',
        'groups[1] (vec).lr',
      );
    }
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, groups: [{ match: 'h.*', norm: signUnscaled(), lr: -2 }] }), 'INVALID_HYPERPARAMETER', 'groups[0] (group0).lr');
  });

  it('momentum 0, −0.1, 1.5, NaN (global and per group); 1 is allowed', () => {
    for (const momentum of [0, -0.1, 1.5, Number.NaN, Infinity]) {
      expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, momentum, groups: GROUPS }), 'INVALID_HYPERPARAMETER', 'momentum', String(momentum));
      expectLmo(
        () => createOptimizer(ref, params(), { lr: 0.1, groups: [{ ...GROUPS[0]!, momentum }, GROUPS[1]!] }),
        'INVALID_HYPERPARAMETER',
        'groups[0] (mat).momentum',
      );
    }
    expect(() => createOptimizer(ref, params(), { lr: 0.1, momentum: 1, groups: GROUPS })).not.toThrow();
  });

  it('a value whose toString is not a function (parsed from JSON, say): still an LmoError naming the option', () => {
    const weird = JSON.parse('{"toString": ""}') as unknown;
    for (const name of ['lr', 'scale', 'momentum', 'clip']) {
      const options = { lr: 0.1, norm: 'sign', [name]: weird } as unknown as OptimizerOptions;
      expectLmo(() => createOptimizer(ref, params(), options), 'INVALID_HYPERPARAMETER', name, '{"toString":""}');
    }
  });

  it('scale ≤ 0 or not finite (global and per group)', () => {
    for (const scale of [0, -0, -3, Number.NaN, Infinity]) {
      expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, scale, groups: GROUPS }), 'INVALID_HYPERPARAMETER', 'scale');
      expectLmo(
        () => createOptimizer(ref, params(), { lr: 0.1, groups: [GROUPS[0]!, { ...GROUPS[1]!, scale }] }),
        'INVALID_HYPERPARAMETER',
        'groups[1] (vec).scale',
      );
    }
  });

  it('unknown nonFinite policy, schedule not a function, options not an object', () => {
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, nonFinite: 'warn' as NonFinitePolicy }), 'INVALID_HYPERPARAMETER', 'nonFinite', 'warn');
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, schedule: 0.5 as unknown as () => number }), 'INVALID_HYPERPARAMETER', 'schedule');
    expectLmo(() => createOptimizer(ref, params(), null as unknown as OptimizerOptions), 'INVALID_HYPERPARAMETER', 'options');
  });

  it('both groups and norm', () => {
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, groups: GROUPS, norm: frobenius() }), 'INVALID_HYPERPARAMETER', 'groups', 'norm');
  });

  it('empty params (object or Map): the optimizer waits for add(); a step before it says so', () => {
    for (const empty of [{}, new Map<string, RefTensor>()]) {
      const opt = createOptimizer(ref, empty, { lr: 0.1 });
      expectLmo(() => opt.step({}), 'MISSING_GRADIENT', 'no parameters', 'add()');
    }
  });

  it('a norm on a shape it cannot handle: UNSUPPORTED_SHAPE naming the parameter', () => {
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, norm: spectral() }), 'UNSUPPORTED_SHAPE', '"h.0.b"', '[2]');
    expectLmo(
      () => createOptimizer(ref, { 'conv.k': tensor(new Array<number>(8).fill(0), [2, 2, 2]) }, { lr: 0.1, norm: colNorm() }),
      'UNSUPPORTED_SHAPE',
      '"conv.k"',
    );
    expectLmo(() => createOptimizer(ref, params(), { lr: 0.1, groups: [{ match: '*', norm: sign() }] }), 'UNSUPPORTED_SHAPE', '"h.0.b"');
    expectLmo(() => createOptimizer(ref, { empty: tensor([], [0, 3]) }, { lr: 0.1, norm: colNorm() }), 'UNSUPPORTED_SHAPE', '"empty"');
  });

  it('a failing constructor allocates no state and writes nothing', () => {
    const { backend, counts } = spy(ref);
    const p = params();
    const before = Object.values(p).map(values);
    expect(() => createOptimizer(backend, p, { lr: 0.1, norm: spectral() })).toThrow(LmoError);
    expect(() => createOptimizer(backend, p, { lr: 0.1, momentum: 2 })).toThrow(LmoError);
    expect(counts).toEqual({ assign: 0, zerosLike: 0, run: 0 });
    expect(Object.values(p).map(values)).toEqual(before);
  });
});

describe('step(): bad gradients write nothing', () => {
  /** Runs a failing step on an optimizer that already has state, and checks nothing changed. */
  async function unchanged(
    act: (opt: ReturnType<typeof make>['opt']) => unknown,
    code: LmoErrorCode,
    fragments: string[],
    options: Partial<OptimizerOptions> = {},
  ): Promise<void> {
    const { backend, counts } = spy(ref);
    const { p, opt } = make(options, backend);
    opt.step(grads());
    opt.step(grads(0.5));
    const before = await snapshot(opt, p, ref);
    const assigns = counts.assign;
    expectLmo(() => act(opt), code, ...fragments);
    expect(counts.assign).toBe(assigns);
    expect(await snapshot(opt, p, ref)).toEqual(before);
    // And the optimizer still works.
    opt.step(grads());
    expect(opt.stepCount).toBe(3);
  }

  it('gradient shape mismatch: SHAPE_MISMATCH naming the parameter and both shapes', async () => {
    await unchanged((o) => o.step({ ...grads(), 'h.0.w': tensor([1, 2, 3, 4, 5, 6], [3, 2]) }), 'SHAPE_MISMATCH', ['"h.0.w"', '[3, 2]', '[2, 3]']);
    await unchanged((o) => o.step({ ...grads(), 'h.0.b': tensor([1, 2], [1, 2]) }), 'SHAPE_MISMATCH', ['"h.0.b"']);
  });

  it('missing gradient: MISSING_GRADIENT naming the parameter', async () => {
    await unchanged((o) => o.step({ 'h.0.w': grads()['h.0.w']! }), 'MISSING_GRADIENT', ['"h.0.b"']);
    await unchanged((o) => o.step(new Map([['h.0.b', grads()['h.0.b']!]])), 'MISSING_GRADIENT', ['"h.0.w"']);
  });

  it('gradient for an unknown name: UNKNOWN_PARAMETER naming it', async () => {
    await unchanged((o) => o.step({ ...grads(), 'h.9.w': tensor([1], [1]) }), 'UNKNOWN_PARAMETER', ['"h.9.w"']);
    await unchanged((o) => o.step(new Map([...Object.entries(grads()), ['typo', tensor([1], [1])]])), 'UNKNOWN_PARAMETER', ['"typo"']);
  });

  it('NaN / ±Inf gradient, default policy: NON_FINITE_GRADIENT naming the parameter', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const e = expectLmo(
        () => make().opt.step({ ...grads(), 'h.0.b': tensor([1, bad], [2]) }),
        'NON_FINITE_GRADIENT',
        '"h.0.b"',
      );
      expect(e.message).not.toContain('"h.0.w"');
      await unchanged((o) => o.step({ ...grads(), 'h.0.w': tensor([1, 2, bad, 4, 5, 6], [2, 3]) }), 'NON_FINITE_GRADIENT', ['"h.0.w"']);
    }
  });

  it('a schedule that yields NaN (or a negative factor) at step 3 throws at that step, naming the group', async () => {
    for (const badValue of [Number.NaN, -1, Infinity]) {
      const { backend, counts } = spy(ref);
      const { p, opt } = make({ schedule: (t) => (t === 3 ? badValue : 1 - 0.1 * t) }, backend);
      for (let k = 0; k < 3; k++) opt.step(grads(k + 1));
      const before = await snapshot(opt, p, ref);
      const assigns = counts.assign;
      expectLmo(() => opt.step(grads()), 'INVALID_HYPERPARAMETER', 'step 3', '"mat"');
      expectLmo(() => opt.learningRate('h.0.w'), 'INVALID_HYPERPARAMETER', 'step 3');
      expect(counts.assign).toBe(assigns);
      expect(await snapshot(opt, p, ref)).toEqual(before);
      expect(opt.stepCount).toBe(3);
    }
  });

  it('a schedule or a norm that throws mid-step writes nothing', async () => {
    const boom = new Error('boom');
    let calls = 0;
    const flaky: Norm = {
      ...frobenius(),
      lmo(backend, g, shape) {
        if (++calls === 3) throw boom; // the second parameter of the second step
        return frobenius().lmo(backend, g, shape);
      },
    };
    const { backend, counts } = spy(ref);
    const p = params();
    const opt = createOptimizer(backend, p, { lr: 0.1, norm: flaky });
    opt.step(grads());
    const before = await snapshot(opt, p, ref);
    const assigns = counts.assign;
    expect(() => opt.step(grads(2))).toThrow(boom);
    expect(counts.assign).toBe(assigns);
    expect(await snapshot(opt, p, ref)).toEqual(before);
  });

  it('learningRate of an unknown name: UNKNOWN_PARAMETER', () => {
    expectLmo(() => make().opt.learningRate('nope'), 'UNKNOWN_PARAMETER', '"nope"');
  });
});

describe('nonFinite policies', () => {
  it("'skip' leaves everything unchanged, counts the skip, and does not advance the step or the schedule", async () => {
    const seen: number[] = [];
    const { backend, counts } = spy(ref);
    const { p, opt } = make({ nonFinite: 'skip', schedule: (t) => (seen.push(t), 1 / (1 + t)) }, backend);
    opt.step(grads());
    const before = await snapshot(opt, p, ref);
    const assigns = counts.assign;
    seen.length = 0;
    expect(opt.step({ ...grads(), 'h.0.w': tensor([1, Number.NaN, 1, 1, 1, 1], [2, 3]) })).toBeUndefined();
    expect(opt.step({ ...grads(), 'h.0.b': tensor([Infinity, 1], [2]) })).toBeUndefined();
    expect(counts.assign).toBe(assigns);
    const after = await snapshot(opt, p, ref);
    expect(after.skippedSteps).toBe(2);
    expect(after.stepCount).toBe(1);
    expect({ ...after, skippedSteps: 0, state: undefined }).toEqual({ ...before, skippedSteps: 0, state: undefined });
    expect((after.state as { parameters: unknown }).parameters).toEqual((before.state as { parameters: unknown }).parameters);
    // The next good step uses schedule(1), as if the skipped steps had not happened.
    opt.step(grads());
    expect(seen.every((t) => t === 1)).toBe(true);
    expect(opt.stepCount).toBe(2);
  });

  it("'skip' in light mode leaves the gradient buffer G alone", () => {
    const p = params();
    const G = { 'h.0.w': tensor([1, Number.NaN, 3, 4, 5, 6], [2, 3]), 'h.0.b': tensor([1, 2], [2]) };
    const opt = createOptimizer(ref, p, { lr: 0.1, light: true, nonFinite: 'skip', groups: GROUPS });
    opt.step(G);
    expect(values(G['h.0.b'])).toEqual([1, 2]);
    expect(values(G['h.0.w'])[0]).toBe(1);
    expect(opt.skippedSteps).toBe(1);
  });

  it("'ignore' lets NaN through into the parameters and buffers, and counts the step", () => {
    const { p, opt } = make({ nonFinite: 'ignore' });
    opt.step({ ...grads(), 'h.0.b': tensor([Number.NaN, 1], [2]) });
    expect(opt.stepCount).toBe(1);
    expect(opt.skippedSteps).toBe(0);
    expect(values(p['h.0.b']!).every(Number.isNaN)).toBe(true); // ‖g‖ is NaN, so is every entry of g/‖g‖
    expect(values(p['h.0.w']!).every(Number.isFinite)).toBe(true);
    const s = opt.getState();
    if (s instanceof Promise) throw new Error('sync');
    expect(Array.from(s.parameters[1]!.buffers!.momentum!).some(Number.isNaN)).toBe(true);
  });
});

describe('dispose', () => {
  it('step, getState, loadState and init throw after dispose; dispose is idempotent', () => {
    const { opt } = make();
    opt.step(grads());
    const s = opt.getState();
    if (s instanceof Promise) throw new Error('sync');
    opt.dispose();
    opt.dispose();
    expectLmo(() => opt.step(grads()), 'BACKEND', 'disposed');
    expectLmo(() => opt.getState(), 'BACKEND', 'disposed');
    expectLmo(() => opt.loadState(s), 'BACKEND', 'disposed');
    expectLmo(() => opt.init(), 'BACKEND', 'disposed');
  });
});
