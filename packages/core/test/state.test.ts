/**
 * Saving and restoring optimizer state: exact resumption, the JSON round trip, and STATE_MISMATCH
 * rejections that change nothing.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { colNorm } from '../src/norms/col-norm.js';
import { frobenius } from '../src/norms/frobenius.js';
import { sign } from '../src/norms/sign.js';
import { createOptimizer, type LmoOptimizer } from '../src/optimizer/optimizer.js';
import { STATE_FORMAT, STATE_VERSION, type OptimizerState } from '../src/optimizer/state.js';
import { stateFromJSON, stateToJSON } from '../src/optimizer/state-json.js';
import type { RefTensor } from '../src/reference/index.js';
import { cosineDecay } from '../src/schedules/index.js';
import { plainState, ref, snapshot, spy, tensor, values } from './helpers/backend.js';
import { awayFromZero, rng } from './helpers/f64.js';

const LAYOUT: Record<string, number[]> = { a: [3, 4], b: [5], c: [2, 2] };

function freshParams(seed: number): Record<string, RefTensor> {
  const next = rng(seed);
  return Object.fromEntries(Object.entries(LAYOUT).map(([n, s]) => [n, tensor(awayFromZero(next, s.reduce((x, d) => x * d, 1), 0), s)]));
}

function copyParams(params: Record<string, RefTensor>): Record<string, RefTensor> {
  return Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tensor(values(p), LAYOUT[n]!)]));
}

function build(params: Record<string, RefTensor> | Map<string, RefTensor>, backend = ref): LmoOptimizer<RefTensor> {
  return createOptimizer(backend, params, {
    lr: 0.2,
    schedule: cosineDecay(12, 0.1),
    nonFinite: 'skip',
    groups: [
      { name: 'cols', match: 'a', norm: colNorm(), momentum: 0.3, scale: 2 },
      { name: 'plain', match: 'b', norm: frobenius(), momentum: 1 },
      { name: 'signs', norm: sign(), unconstrained: true },
    ],
  });
}

function grads(k: number): Record<string, RefTensor> {
  const next = rng(500 + k);
  const g = Object.fromEntries(Object.entries(LAYOUT).map(([n, s]) => [n, tensor(awayFromZero(next, s.reduce((x, d) => x * d, 1), 0.1), s)]));
  // Step 2 carries a NaN: skipped, so skippedSteps and stepCount diverge.
  if (k === 2) g.b = tensor([1, Number.NaN, 1, 1, 1], [5]);
  return g;
}

function sync<V>(v: V | Promise<V>): V {
  if (v instanceof Promise) throw new Error('expected a synchronous result');
  return v;
}

function bits(xs: Float32Array | number[]): string {
  return Array.from(new Uint32Array(Float32Array.from(xs).buffer), (u) => u.toString(16)).join(',');
}

describe('getState / loadState', () => {
  it('describes the optimizer: format, version, step, skipped steps, names, shapes, groups, buffers', () => {
    const params = freshParams(1);
    const opt = build(params);
    for (let k = 0; k < 4; k++) opt.step(grads(k));
    const s = sync(opt.getState());
    expect(s.format).toBe(STATE_FORMAT);
    expect(s.version).toBe(STATE_VERSION);
    expect(s.step).toBe(3);
    expect(s.skippedSteps).toBe(1);
    expect(s.parameters.map((p) => [p.name, p.shape, p.group, p.buffers?.momentum?.length])).toEqual([
      ['a', [3, 4], 'cols', 12],
      ['b', [5], 'plain', undefined],
      ['c', [2, 2], 'signs', 4],
    ]);
    // A snapshot, not a view: mutating it does not touch the optimizer.
    const before = plainState(s);
    s.parameters[0]!.buffers!.momentum!.fill(123);
    expect(plainState(sync(opt.getState()))).toEqual(before);
  });

  it('resuming from a saved state is bit-identical to uninterrupted training', () => {
    const straight = freshParams(2);
    const a = build(straight);
    for (let k = 0; k < 10; k++) a.step(grads(k));

    const first = freshParams(2);
    const b = build(first);
    for (let k = 0; k < 5; k++) b.step(grads(k));
    const saved = sync(b.getState());
    b.dispose();
    // A new process: new parameter tensors holding the saved values, a fresh optimizer.
    const resumedParams = copyParams(first);
    const c = build(resumedParams);
    expect(c.stepCount).toBe(0);
    sync(c.loadState(saved));
    expect(c.stepCount).toBe(4);
    expect(c.skippedSteps).toBe(1);
    // The schedule resumes at the saved step index.
    expect(c.learningRate('a')).toBe(0.2 * cosineDecay(12, 0.1)(4));
    for (let k = 5; k < 10; k++) c.step(grads(k));

    for (const n of Object.keys(LAYOUT)) expect(bits(values(resumedParams[n]!)), n).toBe(bits(values(straight[n]!)));
    expect(plainState(sync(c.getState()))).toEqual(plainState(sync(a.getState())));
  });

  it('without loading the state, resuming is NOT identical (the test above can fail)', () => {
    const straight = freshParams(3);
    const a = build(straight);
    for (let k = 0; k < 10; k++) a.step(grads(k));
    const first = freshParams(3);
    const b = build(first);
    for (let k = 0; k < 5; k++) b.step(grads(k));
    const resumedParams = copyParams(first);
    const c = build(resumedParams);
    for (let k = 5; k < 10; k++) c.step(grads(k));
    expect(bits(values(resumedParams.a!))).not.toBe(bits(values(straight.a!)));
  });

  it('stateToJSON → JSON.stringify → JSON.parse → stateFromJSON is exact and loads', () => {
    const params = freshParams(4);
    const opt = build(params);
    for (let k = 0; k < 6; k++) opt.step(grads(k));
    const s = sync(opt.getState());
    const text = JSON.stringify(stateToJSON(s));
    expect(text).not.toContain('"0":'); // Float32Arrays became arrays, not index-keyed objects
    const back = stateFromJSON(JSON.parse(text));
    expect(back.parameters[0]!.buffers?.momentum).toBeInstanceOf(Float32Array);
    expect(back.parameters[1]!.buffers).toBeUndefined();
    for (const [i, p] of s.parameters.entries()) {
      if (p.buffers?.momentum) expect(bits(back.parameters[i]!.buffers!.momentum!), p.name).toBe(bits(p.buffers.momentum));
    }
    expect(plainState(back)).toEqual(plainState(s));

    const other = build(copyParams(params));
    sync(other.loadState(back));
    expect(plainState(sync(other.getState()))).toEqual(plainState(s));
    // Awkward float32 values survive too.
    // (−0 is left out: JSON has no −0, it comes back as +0; see the report.)
    const tricky = Float32Array.of(Math.fround(0.1), 0, 1e-45, 3.4028234663852886e38, Math.fround(1 / 3), -1.17549435e-38, 7, 8, 9, 10, 11, 12);
    const patched: OptimizerState = { ...s, parameters: s.parameters.map((p) => (p.name === 'a' ? { ...p, buffers: { momentum: tricky } } : p)) };
    const again = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(patched))));
    expect(bits(again.parameters[0]!.buffers!.momentum!)).toBe(bits(tricky));
  });

  it('the parameter order inside a state does not matter (names do)', () => {
    const params = freshParams(5);
    const opt = build(params);
    for (let k = 0; k < 3; k++) opt.step(grads(k));
    const s = sync(opt.getState());
    const reversed: OptimizerState = { ...s, parameters: [...s.parameters].reverse() };
    const other = build(new Map(Object.entries(copyParams(params))));
    sync(other.loadState(reversed));
    expect(plainState(sync(other.getState()))).toEqual(plainState(s));
  });
});

describe('loadState rejects mismatching states with STATE_MISMATCH and changes nothing', () => {
  type Mutation = (s: OptimizerState) => unknown;
  const withParam = (name: string, f: (p: Record<string, unknown>) => unknown): Mutation => (s) => ({
    ...s,
    parameters: s.parameters.map((p) => (p.name === name ? f({ ...p }) : p)),
  });
  const cases: Array<[string, Mutation, string?]> = [
    ['other names', withParam('a', (p) => ({ ...p, name: 'z' })), '"a"'],
    ['transposed shape of the same size', withParam('a', (p) => ({ ...p, shape: [4, 3] })), '"a"'],
    ['other rank', withParam('c', (p) => ({ ...p, shape: [4] })), '"c"'],
    ['shape not an array', withParam('c', (p) => ({ ...p, shape: '2,2' })), '"c"'],
    ['missing momentum', withParam('a', (p) => ({ ...p, buffers: undefined })), '"a"'],
    ['extra momentum', withParam('b', (p) => ({ ...p, buffers: { momentum: new Float32Array(5) } })), '"b"'],
    ['a buffer of another kind (AdamW\'s)', withParam('a', (p) => ({ ...p, buffers: { exp_avg: new Float32Array(12) } })), '"a"'],
    ['buffers not an object', withParam('a', (p) => ({ ...p, buffers: [new Float32Array(12)] })), '"a"'],
    ['buffer too short', withParam('c', (p) => ({ ...p, buffers: { momentum: new Float32Array(3) } })), '"c"'],
    ['buffer too long', withParam('a', (p) => ({ ...p, buffers: { momentum: new Float32Array(13) } })), '"a"'],
    ['buffer as a plain array (forgot stateFromJSON)', withParam('a', (p) => ({ ...p, buffers: { momentum: new Array<number>(12).fill(0) } })), '"a"'],
    ['buffer as a Float64Array', withParam('a', (p) => ({ ...p, buffers: { momentum: new Float64Array(12) } })), '"a"'],
    ['buffer holding a NaN', withParam('a', (p) => ({ ...p, buffers: { momentum: Float32Array.from({ length: 12 }, (_, i) => (i === 5 ? Number.NaN : 0)) } })), '"a"'],
    ['buffer holding 1e39 (Infinity in float32)', withParam('c', (p) => ({ ...p, buffers: { momentum: Float32Array.from({ length: 4 }, (_, i) => (i === 2 ? 1e39 : 0)) } })), '"c"'],
    ['buffer holding −Infinity', withParam('a', (p) => ({ ...p, buffers: { momentum: Float32Array.from({ length: 12 }, (_, i) => (i === 0 ? -Infinity : 1)) } })), '"a"'],
    ['buffer as a string', withParam('a', (p) => ({ ...p, buffers: { momentum: 'zeros' } })), '"a"'],
    ['buffer as an object', withParam('a', (p) => ({ ...p, buffers: { momentum: { length: 12 } } })), '"a"'],
    ['buffer as null', withParam('a', (p) => ({ ...p, buffers: { momentum: null } })), '"a"'],
    ['group not a string', withParam('a', (p) => ({ ...p, group: 3 })), '"a"'],
    ['a name that is not a string', (s) => ({ ...s, parameters: [{ ...s.parameters[0], name: 7 }, ...s.parameters.slice(1)] })],
    ['step as a string', (s) => ({ ...s, step: '4' }), 'step'],
    ['skippedSteps as Infinity', (s) => ({ ...s, skippedSteps: Infinity }), 'skippedSteps'],
    ['light flag not a boolean', (s) => ({ ...s, light: 'no' }), 'light'],
    ['a missing parameter', (s) => ({ ...s, parameters: s.parameters.slice(1) })],
    ['an extra parameter', (s) => ({ ...s, parameters: [...s.parameters, { name: 'd', shape: [1], group: 'x' }] })],
    ['a duplicated parameter', (s) => ({ ...s, parameters: [s.parameters[0], s.parameters[0], s.parameters[2]] })],
    ['a duplicated parameter on top of the right ones', (s) => ({ ...s, parameters: [...s.parameters, s.parameters[2]] }), '"c"'],
    ['wrong version', (s) => ({ ...s, version: STATE_VERSION + 1 }), 'version'],
    ['wrong format', (s) => ({ ...s, format: 'torch' }), 'format'],
    ['negative step', (s) => ({ ...s, step: -1 }), 'step'],
    ['fractional step', (s) => ({ ...s, step: 2.5 }), 'step'],
    ['NaN step', (s) => ({ ...s, step: Number.NaN }), 'step'],
    ['negative skippedSteps', (s) => ({ ...s, skippedSteps: -2 }), 'skippedSteps'],
    ['parameters not an array', (s) => ({ ...s, parameters: {} }), 'parameters'],
    ['a null parameter entry', (s) => ({ ...s, parameters: [null, ...s.parameters.slice(1)] })],
    ['null', () => null],
    ['a string', () => 'lmo-optimizer-state'],
  ];

  for (const [label, mutate, fragment] of cases) {
    it(label, async () => {
      const { backend, counts } = spy(ref);
      const params = freshParams(6);
      const opt = build(params, backend);
      for (let k = 0; k < 4; k++) opt.step(grads(k));
      const before = await snapshot(opt, params, ref);
      const assigns = counts.assign;
      const bad = mutate(sync(opt.getState())) as OptimizerState;
      let error: unknown;
      try {
        opt.loadState(bad);
      } catch (e) {
        error = e;
      }
      expect(error, 'expected an error').toBeInstanceOf(LmoError);
      expect((error as LmoError).code).toBe('STATE_MISMATCH');
      if (fragment) expect((error as LmoError).message).toContain(fragment);
      expect(counts.assign).toBe(assigns);
      expect(await snapshot(opt, params, ref)).toEqual(before);
      // Still usable afterwards.
      opt.step(grads(9));
      expect(opt.stepCount).toBe(before.stepCount + 1);
    });
  }

  it('a light optimizer\'s state does not load into a buffered one, nor the reverse', () => {
    const params = freshParams(7);
    const light = createOptimizer(ref, copyParams(params), { lr: 0.1, light: true, norm: frobenius() });
    const heavy = createOptimizer(ref, copyParams(params), { lr: 0.1, norm: frobenius() });
    heavy.step(grads(0));
    expect(() => heavy.loadState(sync(light.getState()))).toThrow(expect.objectContaining({ code: 'STATE_MISMATCH' }));
    expect(() => light.loadState(sync(heavy.getState()))).toThrow(expect.objectContaining({ code: 'STATE_MISMATCH' }));
  });
});
