/**
 * The PyTorch handoff bundle: its files as the format describes them (checked against values written
 * out here, not produced by the code under test), exact round trips that continue the same run, the
 * norm and option mapping to scion.py, and one test per way a bundle can be wrong — each a one-line
 * LmoError naming the tensor or field, before anything is returned.
 */
import { describe, expect, it } from 'vitest';
import { LmoError, type LmoErrorCode } from '../src/errors.js';
import {
  auto,
  biasRMS,
  colNorm,
  createOptimizer,
  decodeSafetensors,
  decodeTorchHandoff,
  encodeSafetensors,
  encodeTorchHandoff,
  frobenius,
  linearWarmup,
  muonNorm,
  rowNorm,
  sign,
  signUnscaled,
  spectral,
  spectralConv,
  toBfloat16Bits,
  transformerGroups,
  transposed,
  warmupCosine,
  type GroupSpec,
  type HandoffRun,
  type OptimizerOptions,
  type OptimizerState,
  type SafetensorsTensor,
  type TorchHandoff,
} from '../src/index.js';
import { Random } from '../src/random.js';
import { ref } from './helpers/backend.js';

type Shapes = Record<string, number[]>;
const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/** Random float32 values of each shape, from `rng`. */
function randoms(shapes: Shapes, rng: Random): Map<string, Float32Array> {
  return new Map(Object.entries(shapes).map(([k, s]) => [k, Float32Array.from({ length: size(s) }, () => rng.normal())]));
}

/** Runs `steps` steps of an optimizer with random gradients; returns the run (weights, options, state) and the optimizer. */
function runFor(shapes: Shapes, options: OptimizerOptions, steps: number, seed = 1) {
  const rng = new Random(seed);
  const params = new Map([...randoms(shapes, rng)].map(([k, v]) => [k, ref.fromArray(v, shapes[k]!)]));
  const opt = createOptimizer(ref, params, options);
  const grads = () => new Map([...randoms(shapes, rng)].map(([k, v]) => [k, ref.fromArray(v, shapes[k]!)]));
  for (let i = 0; i < steps; i++) opt.step(grads());
  const weights = new Map([...params].map(([k, p]) => [k, Float32Array.from(ref.read(p) as Float32Array)]));
  const run: HandoffRun = { weights, options, state: opt.getState() as OptimizerState };
  return { run, opt, params, grads };
}

const GPT: Shapes = {
  'transformer.wte.weight': [11, 8],
  'transformer.wpe.weight': [4, 8],
  'transformer.h.0.ln_1.weight': [8],
  'transformer.h.0.attn.c_attn.weight': [24, 8],
  'transformer.h.0.mlp.c_proj.weight': [8, 32],
  'transformer.ln_f.weight': [8],
};
const SCHEDULE = warmupCosine({ warmup: 2, decaySteps: 10 });

function expectError(f: () => unknown, code: LmoErrorCode, ...fragments: string[]): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an LmoError mentioning ${fragments.join(', ')}`).toBeInstanceOf(LmoError);
  const e = error as LmoError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).not.toContain('\n');
  for (const s of fragments) expect(e.message).toContain(s);
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('the bundle follows the format', () => {
  it('model: the weights by name, F32, PyTorch layout; optimizer: state.<name>.momentum_buffer and the metadata', () => {
    const shapes = { w: [2, 3], b: [3] };
    const options: OptimizerOptions = {
      lr: 0.1,
      momentum: 0.5,
      schedule: linearWarmup(4),
      groups: [
        { name: 'hidden', match: 'w', norm: spectral(), scale: 2 },
        { name: 'gains', match: 'b', norm: biasRMS(), unconstrained: true, lr: 0.2 },
      ],
    };
    const rng = new Random(4);
    const params = new Map([...randoms(shapes, rng)].map(([k, v]) => [k, ref.fromArray(v, shapes[k as 'w' | 'b'])]));
    const opt = createOptimizer(ref, params, options);
    const g = randoms(shapes, rng);
    opt.step(new Map([...g].map(([k, v]) => [k, ref.fromArray(v, shapes[k as 'w' | 'b'])])));
    const weights = new Map([...params].map(([k, p]) => [k, ref.read(p) as Float32Array]));
    const { model, optimizer } = encodeTorchHandoff({ weights, options, state: opt.getState() as OptimizerState });

    const m = decodeSafetensors(model);
    expect(m.metadata).toEqual({ format: 'pt' });
    expect([...m.tensors].map(([k, t]) => [k, t.dtype, t.shape])).toEqual([
      ['b', 'F32', [3]],
      ['w', 'F32', [2, 3]],
    ]);
    expect(bits(m.tensors.get('w')!.data as Float32Array)).toEqual(bits(weights.get('w')!));

    const o = decodeSafetensors(optimizer);
    expect(Object.keys(o.metadata).sort()).toEqual(['format', 'lmo.handoff', 'optimizer', 'param_groups', 'schedule', 'step']);
    expect(o.metadata).toMatchObject({ format: 'pt', 'lmo.handoff': '1', optimizer: 'Scion', step: '1' });
    expect(JSON.parse(o.metadata['schedule']!)).toEqual({ kind: 'linearWarmup', steps: 4 });
    // lr is the next step's (step 1: (1 + 1)/(4 + 1) of the base), initial_lr the base
    expect(JSON.parse(o.metadata['param_groups']!)).toEqual([
      { params: ['w'], lr: 0.1 * (2 / 5), initial_lr: 0.1, momentum: 0.5, scale: 2, unconstrained: false, norm: 'Spectral', norm_kwargs: { max: false, normalized: true, steps: 5 }, name: 'hidden' },
      { params: ['b'], lr: 0.2 * (2 / 5), initial_lr: 0.2, momentum: 0.5, scale: 1, unconstrained: true, norm: 'BiasRMS', norm_kwargs: {}, name: 'gains' },
    ]);
    // after one step from zero the momentum is α·g
    expect([...o.tensors.keys()]).toEqual(['state.b.momentum_buffer', 'state.w.momentum_buffer']);
    const d = o.tensors.get('state.w.momentum_buffer')!.data as Float32Array;
    Array.from(g.get('w')!, (x, i) => expect(d[i]).toBeCloseTo(0.5 * x, 6));
  });

  it('ScionLight writes grad_state for every parameter; momentum 1 keeps no buffer', () => {
    const light = runFor(GPT, { lr: 0.01, light: true, momentum: 1, groups: transformerGroups() }, 2).run;
    const o = decodeSafetensors(encodeTorchHandoff(light).optimizer);
    expect(o.metadata['optimizer']).toBe('ScionLight');
    expect([...o.tensors.keys()].sort()).toEqual(Object.keys(GPT).map((k) => `state.${k}.grad_state`).sort());
    const none = runFor(GPT, { lr: 0.01, momentum: 1, groups: transformerGroups() }, 2).run;
    expect(decodeSafetensors(encodeTorchHandoff(none).optimizer).tensors.size).toBe(0);
    expect(decodeSafetensors(encodeTorchHandoff(none).optimizer).metadata).not.toHaveProperty('schedule');
  });

  it('a transposed(…) parameter is written in PyTorch layout, with its buffer, under the inner norm', () => {
    const shapes = { kernel: [3, 5], bias: [5] }; // a Keras Dense kernel [d_in, d_out]
    const options: OptimizerOptions = { lr: 0.05, groups: [{ match: 'kernel', norm: transposed(spectral()) }, { norm: biasRMS() }] };
    const { run } = runFor(shapes, options, 2);
    const bundle = encodeTorchHandoff(run);
    const w = decodeSafetensors(bundle.model).tensors.get('kernel')!;
    const d = decodeSafetensors(bundle.optimizer).tensors.get('state.kernel.momentum_buffer')!;
    expect([w.shape, d.shape]).toEqual([[5, 3], [5, 3]]);
    const kernel = (run.weights as Map<string, Float32Array>).get('kernel')!;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) expect((w.data as Float32Array)[j * 3 + i]).toBe(kernel[i * 5 + j]);
    expect(JSON.parse(decodeSafetensors(bundle.optimizer).metadata['param_groups']!)[0].norm).toBe('Spectral');
    // read back under the same options: lmo's layout again, bit for bit
    const back = decodeTorchHandoff(bundle, options);
    expect(bits(back.weights.get('kernel')!)).toEqual(bits(kernel));
    expect(back.state.parameters.find((p) => p.name === 'kernel')!.shape).toEqual([3, 5]);
    expect(bits(back.state.parameters.find((p) => p.name === 'kernel')!.buffers!.momentum!)).toEqual(bits(run.state.parameters.find((p) => p.name === 'kernel')!.buffers!.momentum!));
  });
});

describe('round trips continue the same run', () => {
  const cases: Array<[string, OptimizerOptions]> = [
    ['Scion (SCG)', { lr: 0.02, schedule: SCHEDULE, groups: transformerGroups() }],
    ['uSCG', { lr: 0.02, schedule: SCHEDULE, unconstrained: true, groups: transformerGroups({ radii: { gains: 1.5 } }) }],
    ['ScionLight', { lr: 0.02, schedule: SCHEDULE, light: true, groups: transformerGroups() }],
  ];
  it.each(cases)('%s: the same state and weights, bit for bit, with its options or with the ones rebuilt from the bundle', (_name, options) => {
    const { run, opt, params, grads } = runFor(GPT, options, 3);
    const bundle = encodeTorchHandoff(run);
    for (const given of [options, undefined]) {
      const back = decodeTorchHandoff(bundle, given);
      expect(back.state.step).toBe(3);
      const buffer = options.light ? 'gradient' : 'momentum';
      for (const p of run.state.parameters) {
        const q = back.state.parameters.find((x) => x.name === p.name)!;
        expect([q.shape, q.group, Object.keys(q.buffers!)]).toEqual([p.shape, p.group, [buffer]]);
        expect(bits(q.buffers![buffer]!)).toEqual(bits(p.buffers![buffer]!));
        expect(bits(back.weights.get(p.name)!)).toEqual(bits((run.weights as Map<string, Float32Array>).get(p.name)!));
      }
      // a new optimizer from the bundle takes the same next steps as the one that wrote it
      const copies = new Map([...back.weights].map(([k, v]) => [k, ref.fromArray(Float32Array.from(v), GPT[k]!)]));
      const twin = createOptimizer(ref, copies, back.options);
      twin.loadState(back.state);
      expect(twin.learningRate('transformer.wte.weight')).toBe(opt.learningRate('transformer.wte.weight'));
    }
    const back = decodeTorchHandoff(bundle);
    const copies = new Map([...back.weights].map(([k, v]) => [k, ref.fromArray(Float32Array.from(v), GPT[k]!)]));
    const twin = createOptimizer(ref, copies, back.options);
    twin.loadState(back.state);
    for (let i = 0; i < 2; i++) {
      const g = grads();
      opt.step(g);
      twin.step(g);
    }
    for (const [k, p] of params) expect(bits(ref.read(copies.get(k)!) as Float32Array), k).toEqual(bits(ref.read(p) as Float32Array));
  });
});

describe('norms and options map to scion.py', () => {
  const groupOf = (norm: GroupSpec['norm'], shape: number[]) => {
    const { run } = runFor({ p: shape }, { lr: 0.1, groups: [{ name: 'g', norm }] }, 1);
    return JSON.parse(decodeSafetensors(encodeTorchHandoff(run).optimizer).metadata['param_groups']!)[0] as { norm: string; norm_kwargs: object };
  };
  it.each([
    ['sign()', sign(), [4, 6], 'Sign', { zero_init: false, normalized: true }],
    ['sign({ normalized: false, zeroInit: true })', sign({ normalized: false, zeroInit: true }), [4, 6], 'Sign', { zero_init: true, normalized: false }],
    ['signUnscaled() on a matrix', signUnscaled(), [4, 6], 'Sign', { zero_init: false, normalized: false }],
    ['spectral({ max, steps })', spectral({ max: true, steps: 7, normalized: false }), [5, 8], 'Spectral', { max: true, normalized: false, steps: 7 }],
    ['muonNorm() on a matrix', muonNorm(), [5, 8], 'Spectral', { max: true, normalized: true, steps: 5 }],
    ['spectralConv({ steps })', spectralConv({ steps: 3 }), [4, 2, 3, 3], 'SpectralConv', { steps: 3 }],
    ['colNorm({ transpose })', colNorm({ transpose: true }), [6, 4], 'ColNorm', { normalized: false, transpose: true }],
    ['rowNorm()', rowNorm(), [6, 4], 'RowNorm', { normalized: true, transpose: false }],
    ['biasRMS()', biasRMS(), [7], 'BiasRMS', {}],
    ['auto()', auto(), [3, 3], 'Auto', {}],
  ] as const)('%s', (_label, norm, shape, name, kwargs) => {
    expect(groupOf(norm, [...shape])).toMatchObject({ norm: name, norm_kwargs: kwargs });
  });

  it('refuses, by parameter and name, what scion.py has no counterpart for', () => {
    const refuse = (options: OptimizerOptions, shapes: Shapes, code: LmoErrorCode, ...fragments: string[]) =>
      expectError(() => encodeTorchHandoff(runFor(shapes, options, 1).run), code, ...fragments);
    refuse({ lr: 0.1, norm: spectral({ method: 'polar-express' }) }, { 'h.w': [4, 4] }, 'UNKNOWN_NORM', '"h.w"', 'polar-express');
    refuse({ lr: 0.1, norm: frobenius() }, { 'h.w': [4, 4] }, 'UNKNOWN_NORM', '"h.w"', 'frobenius');
    refuse({ lr: 0.1, norm: signUnscaled() }, { bias: [4] }, 'UNKNOWN_NORM', '"bias"', 'signUnscaled');
    refuse({ lr: 0.1, norm: muonNorm() }, { w: [4, 4], b: [4] }, 'UNKNOWN_NORM', '"b"', 'split the group');
    refuse({ lr: 0.1, norm: spectralConv() }, { conv: [4, 2, 3, 5] }, 'UNKNOWN_NORM', '"conv"', 'non-square');
    refuse({ lr: 0.1, norm: auto(), schedule: (t: number) => 1 / (t + 1) }, { w: [4, 4] }, 'INVALID_HYPERPARAMETER', 'schedule', 'plain function');
    refuse({ lr: 0.1, norm: auto(), nonFinite: 'skip' }, { w: [4, 4] }, 'INVALID_HYPERPARAMETER', 'skip');
    refuse({ lr: 0.1, groups: [{ match: 'w', norm: spectral() }, { match: 'b', adamw: {} }] }, { w: [4, 4], b: [4] }, 'UNKNOWN_NORM', '"b"', 'AdamW');
  });

  it('refuses weights or a state that do not fit the options', () => {
    const { run } = runFor({ w: [2, 2], b: [2] }, { lr: 0.1, norm: auto() }, 1);
    const weights = run.weights as Map<string, Float32Array>;
    const without = new Map(weights);
    without.delete('b');
    expectError(() => encodeTorchHandoff({ ...run, weights: without }), 'STATE_MISMATCH', '"b"');
    expectError(() => encodeTorchHandoff({ ...run, weights: new Map([...weights, ['c', new Float32Array(1)]]) }), 'STATE_MISMATCH', '"c"');
    expectError(() => encodeTorchHandoff({ ...run, weights: new Map([...weights, ['b', new Float32Array(3)]]) }), 'STATE_MISMATCH', '"b"', '2 values');
    expectError(() => encodeTorchHandoff({ ...run, weights: new Map([...weights, ['b', Float32Array.of(1, NaN)]]) }), 'STATE_MISMATCH', '"b"', 'NaN');
    expectError(() => encodeTorchHandoff({ ...run, options: { ...run.options, light: true } }), 'STATE_MISMATCH', 'ScionLight');
    expectError(() => encodeTorchHandoff({ ...run, state: { ...run.state, parameters: run.state.parameters.slice(1) } }), 'STATE_MISMATCH', '"w"', 'not a parameter of the optimizer state');
    const noBuffer = { ...run.state, parameters: run.state.parameters.map(({ buffers: _, ...p }) => p) };
    expectError(() => encodeTorchHandoff({ ...run, state: noBuffer }), 'STATE_MISMATCH', 'buffers none');
  });
});

/** Decodes a bundle file, lets `change` edit its tensors and metadata, and encodes it again. */
function edit(bytes: Uint8Array, change: (tensors: Map<string, SafetensorsTensor>, metadata: Record<string, string>) => void): Uint8Array {
  const f = decodeSafetensors(bytes);
  const tensors = new Map(f.tensors);
  const metadata = { ...f.metadata };
  change(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

function editGroups(bytes: Uint8Array, change: (groups: Array<Record<string, unknown>>) => void): Uint8Array {
  return edit(bytes, (_t, m) => {
    const groups = JSON.parse(m['param_groups']!) as Array<Record<string, unknown>>;
    change(groups);
    m['param_groups'] = JSON.stringify(groups);
  });
}

describe('a bad bundle is refused in one line naming the tensor or field, before anything is returned', () => {
  const options: OptimizerOptions = { lr: 0.02, schedule: SCHEDULE, groups: transformerGroups() };
  const good = encodeTorchHandoff(runFor(GPT, options, 2).run);
  const W = 'transformer.h.0.attn.c_attn.weight';
  const D = `state.${W}.momentum_buffer`;
  const bad = (bundle: Partial<TorchHandoff>, code: LmoErrorCode, ...fragments: string[]) =>
    expectError(() => decodeTorchHandoff({ ...good, ...bundle }, options), code, ...fragments);

  it('a truncated buffer', () => {
    bad({ model: good.model.subarray(0, good.model.length - 3) }, 'INVALID_SAFETENSORS', 'model file', 'truncated');
    bad({ optimizer: good.optimizer.subarray(0, 100) }, 'INVALID_SAFETENSORS', 'optimizer file');
  });
  it('a wrong dtype', () => {
    bad({ model: edit(good.model, (t) => t.set(W, { dtype: 'I32', shape: [24, 8], data: new Int32Array(192) })) }, 'STATE_MISMATCH', W, 'I32');
    bad({ optimizer: edit(good.optimizer, (t) => t.set(D, { dtype: 'U8', shape: [24, 8], data: new Uint8Array(192) })) }, 'STATE_MISMATCH', D, 'U8');
  });
  it('a missing tensor', () => {
    bad({ model: edit(good.model, (t) => t.delete(W)) }, 'STATE_MISMATCH', 'model file has no tensor', W);
    bad({ optimizer: edit(good.optimizer, (t) => t.delete(D)) }, 'STATE_MISMATCH', 'optimizer file has no tensor', D);
  });
  it('an extra tensor', () => {
    bad({ model: edit(good.model, (t) => t.set('lm_head.bias', { dtype: 'F32', shape: [11], data: new Float32Array(11) })) }, 'STATE_MISMATCH', '"lm_head.bias"');
    bad({ optimizer: edit(good.optimizer, (t) => t.set('state.lm_head.bias.momentum_buffer', { dtype: 'F32', shape: [11], data: new Float32Array(11) })) }, 'STATE_MISMATCH', 'lm_head.bias');
    bad({ optimizer: edit(good.optimizer, (t) => t.set('step', { dtype: 'I64', shape: [], data: BigInt64Array.of(2n) })) }, 'STATE_MISMATCH', '"step"');
  });
  it('a shape mismatch', () => {
    bad({ optimizer: edit(good.optimizer, (t) => t.set(D, { dtype: 'F32', shape: [8, 24], data: new Float32Array(192) })) }, 'STATE_MISMATCH', D, '[8, 24]', '[24, 8]');
    bad({ model: edit(good.model, (t) => t.set(W, { dtype: 'F32', shape: [192], data: new Float32Array(192) })) }, 'STATE_MISMATCH', W, 'spectral');
    bad({ model: edit(good.model, (t) => t.set(W, { dtype: 'F32', shape: [8, 24], data: new Float32Array(192) })) }, 'STATE_MISMATCH', D, '[24, 8]');
  });
  it('an optimizer state from another optimizer', () => {
    bad({ optimizer: edit(good.optimizer, (_t, m) => (m['optimizer'] = 'AdamW')) }, 'STATE_MISMATCH', '"AdamW"');
    bad({ optimizer: edit(good.optimizer, (t) => t.set(`state.${W}.exp_avg`, t.get(D)!) && t.delete(D)) }, 'STATE_MISMATCH', 'exp_avg', 'momentum_buffer');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[0]!['betas'] = [0.9, 0.99])) }, 'STATE_MISMATCH', 'param_groups[0]', '"betas"');
    bad({ optimizer: edit(good.optimizer, (_t, m) => delete m['lmo.handoff']) }, 'STATE_MISMATCH', 'not a handoff bundle');
    const light = encodeTorchHandoff(runFor(GPT, { ...options, light: true }, 2).run);
    expectError(() => decodeTorchHandoff(light, options), 'STATE_MISMATCH', 'ScionLight');
    expectError(() => decodeTorchHandoff(good, { ...options, light: true }), 'STATE_MISMATCH', 'ScionLight');
    const adamwGains = { ...options, groups: [...transformerGroups().filter((g) => g.name !== 'gains'), { name: 'gains', match: { rank: [0, 1] }, adamw: {} }] };
    expectError(() => decodeTorchHandoff(good, adamwGains), 'STATE_MISMATCH', 'AdamW group "gains"');
  });
  it('metadata that is malformed or differs from the options', () => {
    bad({ optimizer: edit(good.optimizer, (_t, m) => (m['step'] = '2.5')) }, 'STATE_MISMATCH', 'step', '"2.5"');
    bad({ optimizer: edit(good.optimizer, (_t, m) => (m['param_groups'] = '[{')) }, 'STATE_MISMATCH', 'param_groups', 'not JSON');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[0]!['momentum'] = 0)) }, 'STATE_MISMATCH', 'param_groups[0].momentum');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[0]!['norm'] = 'Frobenius')) }, 'STATE_MISMATCH', 'param_groups[0]', '"Frobenius"');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[0]!['norm_kwargs'] = { normalised: true })) }, 'STATE_MISMATCH', 'Sign', '"normalised"');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[1]!['params'] = [...(g[1]!['params'] as string[]), 'transformer.wte.weight'])) }, 'STATE_MISMATCH', '"transformer.wte.weight"', 'param groups');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[3]!['scale'] = 2)) }, 'STATE_MISMATCH', W, 'scale 2', '3');
    bad({ optimizer: editGroups(good.optimizer, (g) => (g[3]!['norm_kwargs'] = { steps: 6 })) }, 'STATE_MISMATCH', W, 'steps=6');
    bad({ optimizer: edit(good.optimizer, (_t, m) => delete m['schedule']) }, 'STATE_MISMATCH', 'schedule');
  });
  it('non-finite values', () => {
    const nan = new Float32Array(192);
    nan[7] = NaN;
    bad({ optimizer: edit(good.optimizer, (t) => t.set(D, { dtype: 'F32', shape: [24, 8], data: nan })) }, 'STATE_MISMATCH', D, 'NaN', 'index 7');
  });
  it('bfloat16 and float16 files are read, widened exactly', () => {
    const w = decodeSafetensors(good.model).tensors.get(W)!.data as Float32Array;
    const back = decodeTorchHandoff({ ...good, model: edit(good.model, (t) => t.set(W, { dtype: 'BF16', shape: [24, 8], data: toBfloat16Bits(w) })) }, options);
    const got = back.weights.get(W)!;
    Array.from(w, (x, i) => expect(Math.abs(got[i]! - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8));
  });
});
