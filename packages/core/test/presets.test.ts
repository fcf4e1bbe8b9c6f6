/**
 * The presets are the documented special cases of the unified rule.
 */
import { describe, expect, it } from 'vitest';
import type { OptimizerState } from '../src/optimizer/state.js';
import { muon, normalizedSGD, presetOptions, scion, scionLight, signSGD, unconstrainedScion, type PresetOptions } from '../src/optimizer/presets.js';
import { frobenius } from '../src/norms/frobenius.js';
import type { RefTensor } from '../src/reference/index.js';
import { ref, tensor, values } from './helpers/backend.js';
import { driveSync, makeParams, type Layout } from './helpers/drive.js';
import { awayFromZero, lmoBiasRMS, lmoSpectral, mat, relError, rng, simParam, simStep } from './helpers/f64.js';

function gradients(layout: Layout, seed: number): (k: number) => Record<string, number[]> {
  return (k) => {
    const next = rng(seed * 977 + k);
    const g: Record<string, number[]> = {};
    for (const [name, shape] of Object.entries(layout)) g[name] = awayFromZero(next, shape.reduce((a, d) => a * d, 1), 0.05);
    return g;
  };
}

function start(seed: number): (name: string, n: number) => number[] {
  let i = 0;
  return (_n, n) => awayFromZero(rng(seed + 31 * ++i), n, 0);
}

function syncState(s: OptimizerState | Promise<OptimizerState>): OptimizerState {
  if (s instanceof Promise) throw new Error('expected a synchronous state');
  return s;
}

describe('signSGD', () => {
  it('x ← x − γ·sign(g) on any shape, bit-exact, no momentum', () => {
    const layout: Layout = { v: [3], m: [2, 3], c: [2, 2, 2], s: [] };
    const { params } = makeParams(layout, start(1));
    const opt = signSGD(ref, params, { lr: 0.125 });
    expect(syncState(opt.getState()).parameters.every((p) => p.buffers === undefined)).toBe(true);
    const g = gradients(layout, 1);
    for (let k = 0; k < 3; k++) {
      const before = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, values(p)]));
      const gk = g(k);
      // A zero entry must not move (sign(0) = 0).
      gk.m![0] = 0;
      opt.step(Object.fromEntries(Object.entries(gk).map(([n, v]) => [n, tensor(v, layout[n]!)])));
      for (const name of Object.keys(layout)) {
        const expected = before[name]!.map((x, i) => Math.fround(x - 0.125 * Math.sign(gk[name]![i]!)));
        expect(values(params[name]!), `${name} step ${k}`).toEqual(expected);
      }
    }
  });

  it('keeps its defaults when options spell them out as undefined', () => {
    const layout: Layout = { v: [4], c: [2, 1, 2] };
    const { params } = makeParams(layout, start(2));
    const before = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, values(p)]));
    // A caller forwarding optional settings: `{ lr, momentum: cli.momentum, norm: cli.norm }`.
    const opt = signSGD(ref, params, { lr: 0.5, momentum: undefined, norm: undefined } as PresetOptions);
    const g = gradients(layout, 2)(0);
    opt.step({ v: tensor(g.v!, [4]), c: tensor(g.c!, [2, 1, 2]) });
    for (const name of Object.keys(layout)) {
      expect(values(params[name]!)).toEqual(before[name]!.map((x, i) => Math.fround(x - 0.5 * Math.sign(g[name]![i]!))));
    }
  });

  it('signSGD with a given momentum uses the buffer', () => {
    const { params } = makeParams({ w: [2, 2] }, start(3));
    const opt = signSGD(ref, params, { lr: 0.1, momentum: 0.5 });
    opt.step({ w: tensor([1, -1, 2, -2], [2, 2]) });
    expect(Array.from(syncState(opt.getState()).parameters[0]!.buffers!.momentum!)).toEqual([0.5, -0.5, 1, -1]);
  });
});

describe('normalizedSGD', () => {
  it('x ← x − γ·g/‖g‖_F per parameter, no momentum', () => {
    const layout: Layout = { a: [3, 2], b: [5] };
    const { params } = makeParams(layout, start(4));
    const opt = normalizedSGD(ref, params, { lr: 0.3 });
    const g = gradients(layout, 4);
    for (let k = 0; k < 3; k++) {
      const before = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, values(p)]));
      const gk = g(k);
      opt.step(Object.fromEntries(Object.entries(gk).map(([n, v]) => [n, tensor(v, layout[n]!)])));
      for (const name of Object.keys(layout)) {
        const gf = gk[name]!.map(Math.fround);
        const norm = Math.sqrt(gf.reduce((s, v) => s + v * v, 0));
        const expected = before[name]!.map((x, i) => x - (0.3 * gf[i]!) / norm);
        expect(relError(values(params[name]!), expected), `${name} step ${k}`).toBeLessThan(1e-6);
      }
    }
    expect(syncState(opt.getState()).parameters.every((p) => p.buffers === undefined)).toBe(true);
  });
});

describe('muon', () => {
  const layout: Layout = { tall: [6, 3], wide: [3, 6], bias: [3] };

  it('spectral with max(1, √(d_out/d_in)), momentum 0.05, unconstrained; biases by RMS', () => {
    const { params, x64 } = makeParams(layout, start(5));
    const opt = muon(ref, params, { lr: 0.02 });
    const h = { lr: 0.02, momentum: 0.05, rho: 1, unconstrained: true };
    const sims = [
      simParam('tall', x64.tall!, { ...h, lmo: (d) => lmoSpectral(d, true) }),
      simParam('wide', x64.wide!, { ...h, lmo: (d) => lmoSpectral(d, true) }),
      simParam('bias', x64.bias!, { ...h, lmo: lmoBiasRMS }),
    ];
    driveSync(opt, params, sims, layout, gradients(layout, 5), () => 1, 6, 2e-4);
  });

  it('the scale is max(1, s): √2 for [6, 3], 1 (not √½) for [3, 6]', () => {
    // Independent of the simulation: one step from zero with α = 1 is −γ·s·NS(g); NS(g) has
    // (approximately) unit singular values, so the Frobenius norm is γ·s·√min(d_out, d_in).
    const zeros = { tall: tensor(new Array<number>(18).fill(0), [6, 3]), wide: tensor(new Array<number>(18).fill(0), [3, 6]) };
    const opt = muon(ref, zeros, { lr: 1, momentum: 1 });
    const g = gradients({ tall: [6, 3], wide: [3, 6] }, 6)(0);
    opt.step({ tall: tensor(g.tall!, [6, 3]), wide: tensor(g.wide!, [3, 6]) });
    const fro = (x: number[]) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    // The quintic NS leaves singular values in roughly [0.7, 1.2].
    expect(fro(values(zeros.tall)) / Math.sqrt(3)).toBeGreaterThan(Math.SQRT2 * 0.68);
    expect(fro(values(zeros.tall)) / Math.sqrt(3)).toBeLessThan(Math.SQRT2 * 1.25);
    expect(fro(values(zeros.wide)) / Math.sqrt(3)).toBeGreaterThan(0.68);
    expect(fro(values(zeros.wide)) / Math.sqrt(3)).toBeLessThan(1.25);
  });

  it('momentum 0.05 is kept when options say momentum: undefined, and applies to groups', () => {
    const { params } = makeParams({ w: [2, 2] }, start(7));
    const a = muon(ref, params, { lr: 0.1, momentum: undefined } as PresetOptions);
    a.step({ w: tensor([2, -4, 6, -8], [2, 2]) });
    expect(Array.from(syncState(a.getState()).parameters[0]!.buffers!.momentum!)).toEqual([0.1, -0.2, 0.3, -0.4].map(Math.fround));
    const b = muon(ref, makeParams({ w: [2, 2] }, start(7)).params, { lr: 0.1, groups: [{ norm: frobenius() }] });
    b.step({ w: tensor([2, -4, 6, -8], [2, 2]) });
    expect(Array.from(syncState(b.getState()).parameters[0]!.buffers!.momentum!)).toEqual([0.1, -0.2, 0.3, -0.4].map(Math.fround));
    expect(b.parameters[0]!.norm!.kind).toBe('frobenius');
  });
});

describe('scion, unconstrainedScion, scionLight', () => {
  const layout: Layout = { w: [2, 4], b: [3] };

  for (const [label, make, unconstrained] of [
    ['scion', scion, false],
    ['unconstrainedScion', unconstrainedScion, true],
  ] as const) {
    it(`${label}: ${unconstrained ? 'uSCG' : 'SCG'}, momentum 0.1, auto norms (spectral √(d_out/d_in), biasRMS)`, () => {
      const { params, x64 } = makeParams(layout, start(8));
      // The preset decides the constraint, whatever the options say.
      const opt = (make as typeof scion)(ref, params, { lr: 0.1, scale: 2, unconstrained: !unconstrained } as PresetOptions<RefTensor>);
      const h = { lr: 0.1, momentum: 0.1, rho: 2, unconstrained };
      const sims = [simParam('w', x64.w!, { ...h, lmo: (d) => lmoSpectral(d, false) }), simParam('b', x64.b!, { ...h, lmo: lmoBiasRMS })];
      driveSync(opt, params, sims, layout, gradients(layout, 8), () => 1, 6, 2e-4);
    });
  }

  it('scionLight: its state is the gradient buffers G; it uses G and scales it by (1 − α)', () => {
    const { params, x64 } = makeParams(layout, start(9));
    const g = gradients(layout, 9)(0);
    const G = { w: tensor(g.w!, [2, 4]), b: tensor(g.b!, [3]) };
    const opt = scionLight(ref, params, { lr: 0.1, momentum: 0.25, unconstrained: true, gradients: G });
    expect(opt.ownedBytes).toBe(0);
    expect(syncState(opt.getState()).parameters.map((p) => Array.from(p.buffers!.gradient!))).toEqual([values(G.w), values(G.b)]);
    opt.step();
    const h = { lr: 0.1, momentum: 0.25, rho: 1, unconstrained: true, light: true };
    const sw = simParam('w', x64.w!, { ...h, lmo: (d) => lmoSpectral(d, false) });
    const sb = simParam('b', x64.b!, { ...h, lmo: lmoBiasRMS });
    simStep(sw, mat(2, 4, g.w!.map(Math.fround)), 1);
    simStep(sb, mat(1, 3, g.b!.map(Math.fround)), 1);
    expect(relError(values(params.w!), sw.x.data)).toBeLessThan(2e-4);
    expect(relError(values(params.b!), sb.x.data)).toBeLessThan(1e-6);
    expect(values(G.w)).toEqual(g.w!.map((v) => Math.fround(0.75 * Math.fround(v))));
  });
});

describe('presetOptions: the one table of preset defaults', () => {
  it('fills in what the options leave out (undefined included), keeps other keys, and fixes the rest', () => {
    const muonLike = presetOptions('muon', { lr: 0.1, momentum: undefined, layout: 'keras' } as { lr: number; momentum?: number; layout: string });
    expect(muonLike).toMatchObject({ lr: 0.1, momentum: 0.05, unconstrained: true, layout: 'keras' });
    expect(muonLike.norm?.kind).toBe('muon');
    const noNorm: PresetOptions = { lr: 1, norm: undefined };
    expect(presetOptions('signSGD', noNorm).norm?.kind).toBe('signUnscaled');
    expect(presetOptions('signSGD', { lr: 1, groups: [] })).not.toHaveProperty('norm');
    expect(presetOptions('scion', { lr: 1, unconstrained: true }).unconstrained).toBe(false);
    expect(presetOptions('scionLight', { lr: 1, unconstrained: true })).toMatchObject({ light: true, unconstrained: true });
    expect(() => (presetOptions as (name: string, options: object) => unknown)('adam', { lr: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_HYPERPARAMETER', message: expect.stringContaining('unknown preset "adam"') }));
  });
});
