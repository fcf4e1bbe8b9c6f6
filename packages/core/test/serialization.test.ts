/**
 * Norms, schedules and optimizer options as JSON data: every built-in round-trips to an equivalent
 * object (same options, same LMO, same schedule values), bad data fails with a specific error.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { auto, biasRMS, colNorm, frobenius, muonNorm, normFromJSON, normKinds, normToJSON, registerNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';
import type { Norm } from '../src/norms/norm.js';
import { optionsFromJSON, optionsToJSON } from '../src/optimizer/options-json.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { constant, cosineDecay, linearDecay, linearWarmup, product, scheduleFromJSON, scheduleToJSON, sequence, warmupCosine, warmupStableDecay, type Schedule } from '../src/schedules/index.js';
import { runLmo } from './oracle/harness.js';
import { gaussian } from './oracle/matrix.js';
import { ref, tensor, values } from './helpers/backend.js';

const NORMS: Array<[Norm, number[]]> = [
  [sign(), [4, 6]],
  [sign({ normalized: false, zeroInit: true }), [4, 6]],
  [signUnscaled(), [2, 3, 2]],
  [spectral(), [5, 8]],
  [spectral({ normalized: false, max: true, steps: 8, method: 'polar-express' }), [8, 5]],
  [spectralConv({ steps: 3 }), [4, 2, 3]],
  [colNorm({ normalized: true, transpose: true }), [6, 4]],
  [rowNorm({ normalized: false }), [6, 4]],
  [biasRMS(), [7]],
  [frobenius(), [3, 3]],
  [auto(), [2, 2, 3]],
  [muonNorm(), [3, 9]],
  [transposed(colNorm()), [5, 3]],
  [transposed(transposed(rowNorm({ transpose: true }))), [5, 3]],
];

describe('the norm registry', () => {
  it.each(NORMS.map(([n, s]) => [n.kind, n, s] as const))('%s round-trips through JSON text to the same LMO', (_kind, norm, shape) => {
    const json = JSON.parse(JSON.stringify(normToJSON(norm)));
    const back = normFromJSON(json);
    expect(back.kind).toBe(norm.kind);
    expect(back.options).toEqual(norm.options);
    const g = gaussian(shape.reduce((a, d) => a * d, 1), 99);
    expect(Array.from(runLmo(back, g, shape).values)).toEqual(Array.from(runLmo(norm, g, shape).values));
  });

  it('lists the built-in kinds', () => {
    expect(normKinds()).toEqual(
      expect.arrayContaining(['sign', 'signUnscaled', 'spectral', 'spectralConv', 'colNorm', 'rowNorm', 'biasRMS', 'frobenius', 'auto', 'muon', 'transposed']),
    );
  });

  it('rejects unknown kinds, bad options and unregistered norms with UNKNOWN_NORM', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => normFromJSON({ kind: 'nuclear' }), /unknown norm "nuclear"/],
      [() => normFromJSON({} as never), /unknown norm/],
      [() => normFromJSON(null as never), /unknown norm/],
      [() => normFromJSON({ kind: 'spectral', options: { steps: 0 } }), /"steps"/],
      [() => normFromJSON({ kind: 'spectral', options: { method: 'cubic' } }), /"method"/],
      [() => normFromJSON({ kind: 'sign', options: { normalised: true } }), /unknown option "normalised"/],
      [() => normFromJSON({ kind: 'transposed', options: {} }), /"of"/],
      [() => normToJSON({ ...frobenius(), kind: 'mine' }), /not registered/],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(LmoError);
      expect(f).toThrow(message);
    }
  });

  it('registerNorm: one line makes a norm of your own savable; a taken name is refused', () => {
    const halfSign = (options: { factor?: number } = {}): Norm => ({
      kind: 'halfSign',
      options: { factor: options.factor ?? 0.5 },
      check: () => {},
      lmo: (b, g) => b.scale(b.sign(g), options.factor ?? 0.5),
      init: (shape) => new Float32Array(shape.reduce((a, d) => a * d, 1)),
    });
    registerNorm('halfSign', halfSign);
    const back = normFromJSON(JSON.parse(JSON.stringify(normToJSON(halfSign({ factor: 0.25 })))));
    expect(Array.from(runLmo(back, [1, -2, 0], [1, 3]).values)).toEqual([0.25, -0.25, 0]);
    expect(() => registerNorm('halfSign', halfSign)).toThrow(/already registered/);
    expect(() => registerNorm('spectral', halfSign)).toThrow(/already registered/);
  });
});

const SCHEDULES: Array<[string, Schedule]> = [
  ['constant', constant(0.5)],
  ['linearWarmup', linearWarmup(10)],
  ['linearDecay', linearDecay(50, 0.1)],
  ['cosineDecay', cosineDecay(40)],
  ['warmupStableDecay', warmupStableDecay({ warmup: 5, total: 60, decay: 20, final: 0.05 })],
  ['warmupCosine', warmupCosine({ warmup: 10, decaySteps: 50 })],
  ['sequence', sequence([linearWarmup(4), 4], [constant(1), 10], cosineDecay(20, 0.2))],
  ['product', product(constant(0.5), cosineDecay(30))],
  ['nested', product(sequence([constant(2), 3], linearDecay(10)), warmupCosine({ warmup: 2, decaySteps: 12, final: 0 }))],
];

describe('schedule specs', () => {
  it.each(SCHEDULES)('%s round-trips through JSON text to the same factors', (_name, s) => {
    const back = scheduleFromJSON(JSON.parse(JSON.stringify(scheduleToJSON(s))));
    for (let t = 0; t < 80; t++) expect(back(t)).toBe(s(t));
  });

  it('a plain function cannot be saved, nor a composite of one; bad specs are refused', () => {
    expect(() => scheduleToJSON((t) => 1 / (t + 1))).toThrow(/plain function/);
    expect(() => scheduleToJSON(sequence([(t: number) => t, 3], constant()))).toThrow(/plain function/);
    for (const bad of [null, {}, { kind: 'step' }, { kind: 'linearWarmup', steps: -1 }, { kind: 'sequence', parts: 3 }, { kind: 'product' }]) {
      expect(() => scheduleFromJSON(bad as never), JSON.stringify(bad)).toThrow(LmoError);
    }
  });
});

describe('optimizer options as JSON', () => {
  const options = {
    lr: 0.01,
    momentum: 0.2,
    scale: 2,
    unconstrained: true,
    nonFinite: 'skip' as const,
    schedule: warmupCosine({ warmup: 3, decaySteps: 20 }),
    groups: [
      { name: 'emb', match: ['*wte*', /^head\.(w|b)$/i], norm: sign(), scale: 100, lr: 0.02 },
      { name: 'gains', match: { rank: [0, 1] }, norm: biasRMS(), momentum: 0.5 },
      { name: 'hidden', norm: spectral({ method: 'polar-express' }), unconstrained: false },
    ],
  };

  it('keeps the 16-bit storage options', () => {
    const half = { lr: 0.01, bufferDtype: 'bfloat16', compensation: 'stochastic', roundingSeed: 7 } as const;
    expect(optionsFromJSON(JSON.parse(JSON.stringify(optionsToJSON(half))))).toEqual(half);
  });

  it('round-trips through JSON text and trains identically', () => {
    const back = optionsFromJSON(JSON.parse(JSON.stringify(optionsToJSON(options))));
    const make = () => ({ 'x.wte.w': tensor(gaussian(12, 1), [3, 4]), 'Head.B': tensor(gaussian(6, 2), [2, 3]), ln: tensor(gaussian(3, 3), [3]), h: tensor(gaussian(20, 4), [4, 5]) });
    const [pa, pb] = [make(), make()];
    const a = createOptimizer(ref, pa, options);
    const b = createOptimizer(ref, pb, back);
    expect(b.parameters.map((p) => [p.name, p.group])).toEqual(a.parameters.map((p) => [p.name, p.group]));
    for (let k = 0; k < 4; k++) {
      const g = make();
      a.step(g);
      b.step(g);
    }
    for (const name of Object.keys(pa)) expect(values(pb[name as keyof typeof pb])).toEqual(values(pa[name as keyof typeof pa]));
  });

  it('refuses what cannot be saved', () => {
    expect(() => optionsToJSON({ lr: 1, groups: [{ match: () => true, norm: sign() }] })).toThrow(/function "match" cannot be saved/);
    expect(() => optionsToJSON({ lr: 1, schedule: () => 1 })).toThrow(/plain function/);
    expect(() => optionsFromJSON({ lr: 1, groups: [{ match: [{ prefix: 'a' } as never], norm: { kind: 'sign' } }] })).toThrow(/unknown matcher/);
  });
});
