/**
 * The parameter table as frameworks use it: parameters given twice, unknown options, backends of an
 * earlier contract, parameters added after construction (with aliases and a view of their norm),
 * null gradients, caller-owned buffers, the step counter and partial init.
 */
import { describe, expect, it } from 'vitest';
import type { TensorBackend } from '../src/backend/contract.js';
import { LmoError } from '../src/errors.js';
import { biasRMS } from '../src/norms/bias-rms.js';
import { frobenius } from '../src/norms/frobenius.js';
import { sign } from '../src/norms/sign.js';
import { transposed } from '../src/norms/transposed.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { muon, scion, scionLight, signSGD } from '../src/optimizer/presets.js';
import { STATE_FORMAT, type OptimizerState } from '../src/optimizer/state.js';
import { createReferenceBackend, type RefTensor } from '../src/reference/index.js';
import { ref, tensor, values } from './helpers/backend.js';

const matrix = (seed: number): RefTensor => tensor([1, -2, 3, -4, 5, -6].map((v) => v * seed), [2, 3]);

describe('the same tensor as two parameters', () => {
  it('is an error naming both (one of the two updates would be lost)', () => {
    const w = matrix(1);
    expect(() => scion(ref, { a: w, b: w }, { lr: 0.1 })).toThrow(expect.objectContaining({ code: 'INVALID_HYPERPARAMETER', message: expect.stringMatching(/params\["b"\] is the same tensor as parameter "a"/) }));
    const opt = scion(ref, { a: w }, { lr: 0.1 });
    expect(() => opt.add({ c: w })).toThrow(/params\["c"\] is the same tensor as parameter "a"/);
    expect(opt.parameters.map((p) => p.name)).toEqual(['a']);
  });

  it('a caller-owned buffer may be neither a parameter nor another buffer', () => {
    const w = matrix(1);
    const x = matrix(2);
    expect(() => scion(ref, { w }, { lr: 0.1, buffers: () => w })).toThrow(/"momentum" buffer of "w" is the same tensor as parameter "w"/);
    const shared = ref.zerosLike(w);
    expect(() => scion(ref, { w, x }, { lr: 0.1, buffers: () => shared })).toThrow(/"momentum" buffer of "x" is the same tensor as the "momentum" buffer of "w"/);
  });
});

describe('unknown options are errors that say what they are called here', () => {
  const w = () => ({ w: matrix(1) });
  it.each([
    ['weight_decay', /unknown option "weight_decay" \(the constrained update \(unconstrained: false, the default\) is Scion's weight decay; AdamW's is "weightDecay" of adamw\(\)/],
    ['learning_rate', /unknown option "learning_rate" \(it is "lr"/],
    ['beta', /unknown option "beta" \(lmo takes "momentum" α = 1 − β/],
    ['nesterov', /unknown option "nesterov" \(lmo's momentum is the plain exponential average/],
    ['max_grad_norm', /unknown option "max_grad_norm" \(it is "clip"/],
    ['sceduler', /unknown option "sceduler" \(the options are "lr", "schedule"/],
  ])('%s', (key, message) => {
    expect(() => scion(ref, w(), { lr: 0.1, [key]: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_HYPERPARAMETER', message: expect.stringMatching(message) }));
  });

  it('in a group too; an option given as undefined is no option', () => {
    expect(() => scion(ref, { w: matrix(1) }, { lr: 0.1, groups: [{ norm: sign(), radius: 2 } as never] })).toThrow(/groups\[0\] \(group0\): unknown option "radius" \(it is "scale"/);
    expect(() => scion(ref, { w: matrix(1) }, { lr: 0.1, momentum: undefined, schedule: undefined })).not.toThrow();
  });
});

describe('a backend of an earlier contract', () => {
  it('is refused with the members it lacks, not "got [object Object]"', () => {
    const { mode: _m, isTensor: _i, ...old } = createReferenceBackend({ name: 'legacy' });
    void _m;
    void _i;
    let message = '';
    try {
      scion(old as unknown as TensorBackend<RefTensor>, { w: matrix(1) }, { lr: 0.1 });
    } catch (e) {
      expect(e).toBeInstanceOf(LmoError);
      message = (e as LmoError).message;
    }
    expect(message).toMatch(/backend "legacy" does not implement the tensor contract: it lacks mode \('sync' or 'async'\), isTensor\(\)/);
    expect(message).not.toContain('[object Object]');
    expect(() => scion(null as never, { w: matrix(1) }, { lr: 0.1 })).toThrow(/got null/);
  });
});

describe('parameters added after construction', () => {
  it('are routed like the first ones, by name or alias, their norm seen through a view', () => {
    const opt = createOptimizer(ref, {}, { lr: 0.1, groups: [{ name: 'kernels', match: '*/kernel', norm: frobenius() }, { name: 'rest', norm: biasRMS() }] });
    opt.add(
      { 'dense/kernel_1': matrix(1), bias: tensor([1, 2], [2]) },
      { aliases: (name) => [name.replace(/_\d+$/, '')], view: (name) => (name.endsWith('kernel_1') ? (norm) => transposed(norm) : undefined) },
    );
    expect(opt.parameters.map((p) => [p.name, p.group, p.norm?.kind])).toEqual([
      ['dense/kernel_1', 'kernels', 'transposed'],
      ['bias', 'rest', 'biasRMS'],
    ]);
    expect(opt.has('bias')).toBe(true);
    expect(() => opt.add({ bias: tensor([1, 2], [2]) })).toThrow(/"bias" is already known/);
  });

  it('a group that matches none of the parameters is an error at the first add, and nothing is added', () => {
    const opt = createOptimizer(ref, {}, { lr: 0.1, groups: [{ name: 'typo', match: '*/kernl', norm: frobenius() }, { norm: frobenius() }] });
    expect(() => opt.add({ 'dense/kernel': matrix(1) })).toThrow(expect.objectContaining({ code: 'GROUP_ROUTING', message: expect.stringContaining('"typo" matches no parameter') }));
    expect(opt.parameters).toEqual([]);
    expect(() => opt.step({})).toThrow(/no parameters yet/);
  });
});

describe('a null gradient', () => {
  it('leaves that parameter and its momentum unchanged; the step counts; a missing entry is still an error', () => {
    const a = matrix(1);
    const b = matrix(2);
    const opt = scion(ref, { a, b }, { lr: 0.1, momentum: 0.5, norm: frobenius() });
    opt.step({ a: matrix(3), b: matrix(4) });
    const [a1, b1] = [values(a), values(b)];
    const d1 = Array.from(opt.getState().parameters[1]!.buffers!.momentum!);
    opt.step({ a: matrix(5), b: null });
    expect(values(b)).toEqual(b1);
    expect(Array.from(opt.getState().parameters[1]!.buffers!.momentum!)).toEqual(d1);
    expect(values(a)).not.toEqual(a1);
    expect(opt.stepCount).toBe(2);
    expect(() => opt.step({ a: matrix(5) })).toThrow(/no entry for parameter "b" \(give null to leave it unchanged this step\)/);
  });

  it('ScionLight: leaves the gradient buffer as it is (no decay)', () => {
    const w = matrix(1);
    const opt = scionLight(ref, { w, v: tensor([1, 2], [2]) }, { lr: 0.1, momentum: 0.5 });
    opt.accumulate({ w: matrix(1), v: tensor([1, 1], [2]) });
    opt.step({ w: null, v: tensor([1, 1], [2]) });
    expect(values(opt.gradients.get('w')!)).toEqual(values(matrix(1)));
    expect(values(opt.gradients.get('v')!)).toEqual([1, 1]); // (1 + 1)·(1 − 0.5)
  });
});

describe('caller-owned buffers', () => {
  it('hold the state, are written in place and never disposed by the optimizer', () => {
    const made = new Map<string, RefTensor>();
    const disposed: RefTensor[] = [];
    const b: TensorBackend<RefTensor, 'sync'> = { ...createReferenceBackend(), dispose: (x) => void disposed.push(x) };
    const w = matrix(1);
    const opt = scion(b, { w }, { lr: 0.1, momentum: 0.5, norm: frobenius(), buffers: (name, buffer, param) => {
      const t = b.zerosLike(param);
      made.set(`${name}/${buffer}`, t);
      return t;
    } });
    expect([...made.keys()]).toEqual(['w/momentum']);
    expect(opt.ownedBytes).toBe(0);
    opt.step({ w: matrix(2) });
    expect(values(made.get('w/momentum')!)).toEqual(values(matrix(1)));
    opt.dispose();
    expect(disposed).not.toContain(made.get('w/momentum'));
    expect(() => opt.step({ w: matrix(2) })).toThrow(expect.objectContaining({ code: 'BACKEND', message: expect.stringContaining('disposed') }));
  });

  it('must be live tensors of the parameter\'s shape', () => {
    expect(() => scion(ref, { w: matrix(1) }, { lr: 0.1, buffers: () => tensor([1], [1]) })).toThrow(/"momentum" buffer of "w" has shape \[1\], expected \[2, 3\]/);
    expect(() => scion(ref, { w: matrix(1) }, { lr: 0.1, buffers: () => new Float32Array(6) as never })).toThrow(/"momentum" buffer of "w" is not a tensor/);
    expect(() => signSGD(ref, { w: matrix(1) }, { lr: 0.1, buffers: () => { throw new Error('never asked'); } })).not.toThrow(); // α = 1: no buffer
  });
});

describe('the step counter and partial init', () => {
  it('stepCount can be set (where buffers are restored elsewhere) and is validated', () => {
    const opt = muon(ref, { w: matrix(1) }, { lr: 0.1 });
    opt.stepCount = 7;
    expect(opt.stepCount).toBe(7);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => (opt.stepCount = bad)).toThrow(/stepCount must be an integer ≥ 0/);
  });

  it('init(seed, names) re-initializes only those, in that order, and zeroes their buffers', () => {
    const [a, b, fa, fb] = [matrix(1), matrix(2), matrix(1), matrix(2)];
    scion(ref, { a: fa, b: fb }, { lr: 0.1, norm: sign() }).init(5);
    const part = scion(ref, { a, b }, { lr: 0.1, norm: sign() });
    part.step({ a: matrix(1), b: matrix(1) });
    part.init(5, ['a', 'b']);
    expect([values(a), values(b)]).toEqual([values(fa), values(fb)]);
    const before = values(b);
    part.init(9, ['a']);
    expect(values(b)).toEqual(before);
    expect(Array.from(part.getState().parameters[0]!.buffers!.momentum!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => part.init(1, ['nope'])).toThrow(/init: no parameter named "nope"/);
  });
});

describe('states of versions 1 and 2 (one momentum array per parameter) still load', () => {
  it('version 2: momentum, or ScionLight\'s gradient buffers with light: true', () => {
    const opt = scion(ref, { w: matrix(1) }, { lr: 0.1 });
    const v2: OptimizerState = { format: STATE_FORMAT, version: 2, step: 4, parameters: [{ name: 'w', shape: [2, 3], group: 'default', momentum: Float32Array.of(1, 2, 3, 4, 5, 6) }] } as never;
    opt.loadState(v2);
    expect(opt.stepCount).toBe(4);
    expect(Array.from(opt.getState().parameters[0]!.buffers!.momentum!)).toEqual([1, 2, 3, 4, 5, 6]);
    const light = scionLight(ref, { w: matrix(1) }, { lr: 0.1 });
    light.loadState({ ...v2, light: true } as never);
    expect(values(light.gradients.get('w')!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => opt.loadState({ ...v2, light: true } as never)).toThrow(/"gradient".*"momentum".*ScionLight keeps "gradient" buffers/);
    const v1 = { ...v2, version: 1 };
    opt.loadState(v1 as never);
    expect(opt.stepCount).toBe(4);
  });
});
