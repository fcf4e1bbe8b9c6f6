/**
 * The unified update rule of docs/concepts/update-rule.md, step for step against an independent float64
 * simulation (test/helpers/f64.ts).
 */
import { describe, expect, it } from 'vitest';
import { colNorm } from '../src/norms/col-norm.js';
import { frobenius } from '../src/norms/frobenius.js';
import { rowNorm } from '../src/norms/row-norm.js';
import { sign } from '../src/norms/sign.js';
import { spectral } from '../src/norms/spectral.js';
import { biasRMS } from '../src/norms/bias-rms.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { createReferenceBackend, type RefTensor } from '../src/reference/index.js';
import { ref, tensor, values } from './helpers/backend.js';
import { driveSync, makeParams, view, type Layout } from './helpers/drive.js';
import { awayFromZero, lmoBiasRMS, lmoColNorm, lmoFrobenius, lmoRowNorm, lmoSign, lmoSpectral, mat, relError, rng, simParam, simStep } from './helpers/f64.js';

const TOL = 2e-6;

function gradients(layout: Layout, seed: number): (k: number) => Record<string, number[]> {
  const cache = new Map<number, Record<string, number[]>>();
  return (k) => {
    let g = cache.get(k);
    if (!g) {
      const next = rng(seed * 1000 + k);
      g = {};
      for (const [name, shape] of Object.entries(layout)) g[name] = awayFromZero(next, shape.reduce((a, d) => a * d, 1));
      cache.set(k, g);
    }
    return g;
  };
}

function initial(seed: number): (name: string, n: number) => number[] {
  let i = 0;
  return (_name, n) => awayFromZero(rng(seed + 7919 * ++i), n, 0).map((v) => v * 0.5);
}

describe('SCG / uSCG with groups, overrides and a schedule', () => {
  const layout: Layout = {
    'embed.weight': [4, 3],
    'h.0.w': [3, 5],
    'h.0.b': [3],
    'h.1.w': [3, 5],
    'out.w': [2, 3],
  };
  const factors = [1, 0.9, 0.5, 0.25, 1.5, 0.7, 0.3, 1, 0.05, 0.6];

  it('matches the float64 trajectory for 10 steps, per-group lr/momentum/scale/unconstrained', () => {
    const { params, x64 } = makeParams(layout, initial(1));
    const calls: number[] = [];
    const schedule = (t: number): number => {
      calls.push(t);
      return factors[t]!;
    };
    const opt = createOptimizer(ref, params, {
      lr: 0.1,
      momentum: 0.2,
      scale: 2,
      schedule,
      groups: [
        { name: 'emb', match: 'embed.*', norm: colNorm(), lr: 0.05, momentum: 0.5, scale: 3 },
        { name: 'hidden', match: 'h.?.w', norm: sign() },
        { name: 'out', match: /^out\./, norm: rowNorm(), unconstrained: true, momentum: 1, scale: 0.5 },
        { name: 'rest', norm: frobenius(), lr: 0.2 },
      ],
    });
    expect(opt.parameters.map((p) => [p.name, p.group])).toEqual([
      ['embed.weight', 'emb'],
      ['h.0.w', 'hidden'],
      ['h.0.b', 'rest'],
      ['h.1.w', 'hidden'],
      ['out.w', 'out'],
    ]);
    const sims = [
      simParam('embed.weight', x64['embed.weight']!, { lmo: (d) => lmoColNorm(d, false), lr: 0.05, momentum: 0.5, rho: 3, unconstrained: false }),
      simParam('h.0.w', x64['h.0.w']!, { lmo: (d) => lmoSign(d, true), lr: 0.1, momentum: 0.2, rho: 2, unconstrained: false }),
      simParam('h.0.b', x64['h.0.b']!, { lmo: lmoFrobenius, lr: 0.2, momentum: 0.2, rho: 2, unconstrained: false }),
      simParam('h.1.w', x64['h.1.w']!, { lmo: (d) => lmoSign(d, true), lr: 0.1, momentum: 0.2, rho: 2, unconstrained: false }),
      simParam('out.w', x64['out.w']!, { lmo: (d) => lmoRowNorm(d, true), lr: 0.1, momentum: 1, rho: 0.5, unconstrained: true }),
    ];
    // learningRate() reports the scheduled γ of the next step.
    expect(opt.learningRate('embed.weight')).toBeCloseTo(0.05, 12);
    const minD = driveSync(opt, params, sims, layout, gradients(layout, 1), (k) => factors[k]!, 10, TOL, ['h.0.w', 'h.1.w']);
    // Precondition for the sign groups: no momentum entry was close enough to 0 for float32 to flip its sign.
    expect(minD).toBeGreaterThan(1e-5);
    // The schedule was evaluated only at the 0-based step index of each step taken.
    expect(new Set(calls)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
  });

  it('the simulation is sensitive: a wrong momentum, radius, lr or constraint is caught', () => {
    // Guards the test above against being vacuous: the same data with one hyperparameter changed
    // in the simulation diverges beyond the tolerance.
    const variants: Array<Partial<{ lr: number; momentum: number; rho: number; unconstrained: boolean }>> = [
      { momentum: 0.21 },
      { rho: 3.1 },
      { lr: 0.051 },
      { unconstrained: true },
    ];
    for (const v of variants) {
      const small: Layout = { w: [4, 3] };
      const { params, x64 } = makeParams(small, initial(2));
      const opt = createOptimizer(ref, params, { lr: 0.05, momentum: 0.5, scale: 3, norm: colNorm() });
      const sim = simParam('w', x64.w!, { lmo: (d) => lmoColNorm(d, false), lr: 0.05, momentum: 0.5, rho: 3, unconstrained: false, ...v });
      const g = gradients(small, 2);
      let worst = 0;
      for (let k = 0; k < 5; k++) {
        const gt = tensor(g(k).w!, [4, 3]);
        opt.step({ w: gt });
        simStep(sim, mat(4, 3, values(gt)), 1);
        worst = Math.max(worst, relError(values(params.w!), sim.x.data));
      }
      expect(worst, JSON.stringify(v)).toBeGreaterThan(100 * TOL);
    }
  });

  it('global unconstrained (uSCG) with α = 1 keeps no buffer and uses only the current gradient', () => {
    const small: Layout = { a: [3, 4], b: [5] };
    const { params, x64 } = makeParams(small, initial(3));
    const opt = createOptimizer(ref, params, {
      lr: 0.3,
      momentum: 1,
      unconstrained: true,
      groups: [
        { match: 'a', norm: colNorm({ normalized: true }), scale: 4 },
        { match: 'b', norm: biasRMS() },
      ],
    });
    const sims = [
      simParam('a', x64.a!, { lmo: (d) => lmoColNorm(d, true), lr: 0.3, momentum: 1, rho: 4, unconstrained: true }),
      simParam('b', x64.b!, { lmo: lmoBiasRMS, lr: 0.3, momentum: 1, rho: 1, unconstrained: true }),
    ];
    expect(sims.every((s) => s.d === undefined)).toBe(true);
    driveSync(opt, params, sims, small, gradients(small, 3), () => 1, 10, TOL);
  });

  it('a per-group unconstrained: false overrides a global unconstrained: true', () => {
    const small: Layout = { a: [2, 3], b: [2, 3] };
    const { params, x64 } = makeParams(small, initial(4));
    const opt = createOptimizer(ref, params, {
      lr: 0.2,
      unconstrained: true,
      groups: [
        { match: 'a', norm: sign({ normalized: false }), unconstrained: false },
        { match: 'b', norm: sign({ normalized: false }) },
      ],
    });
    const sims = [
      simParam('a', x64.a!, { lmo: (d) => lmoSign(d, false), lr: 0.2, momentum: 0.1, rho: 1, unconstrained: false }),
      simParam('b', x64.b!, { lmo: (d) => lmoSign(d, false), lr: 0.2, momentum: 0.1, rho: 1, unconstrained: true }),
    ];
    // Momentum 0.1 with fresh gradients: keep the sign of d unambiguous by reusing one sign pattern.
    const base = gradients(small, 4)(0);
    const g = (k: number): Record<string, number[]> => ({ a: base.a!.map((v) => v * (1 + k)), b: base.b!.map((v) => v * (2 + k)) });
    driveSync(opt, params, sims, small, g, () => 1, 10, TOL);
  });

  it('a schedule multiplies every group\'s γ, including a per-group lr', () => {
    const small: Layout = { a: [3, 2], b: [4] };
    const { params, x64 } = makeParams(small, initial(5));
    const sched = (t: number): number => 1 / (t + 1);
    const opt = createOptimizer(ref, params, {
      lr: 0.5,
      schedule: sched,
      groups: [
        { match: 'a', norm: rowNorm({ normalized: false }), lr: 0.25 },
        { match: 'b', norm: frobenius() },
      ],
    });
    const sims = [
      simParam('a', x64.a!, { lmo: (d) => lmoRowNorm(d, false), lr: 0.25, momentum: 0.1, rho: 1, unconstrained: false }),
      simParam('b', x64.b!, { lmo: lmoFrobenius, lr: 0.5, momentum: 0.1, rho: 1, unconstrained: false }),
    ];
    driveSync(opt, params, sims, small, gradients(small, 5), sched, 10, TOL);
    expect(opt.learningRate('a')).toBeCloseTo(0.25 / 11, 14);
    expect(opt.learningRate('b')).toBeCloseTo(0.5 / 11, 14);
  });
});

describe('spectral (Newton–Schulz) against float64 Newton–Schulz', () => {
  for (const fused of [true, false]) {
    it(`wide and tall matrices, SCG with momentum (fused kernel ${fused ? 'if offered' : 'off'})`, () => {
      const backend = createReferenceBackend({ fusedNewtonSchulz: fused });
      const small: Layout = { wide: [3, 6], tall: [6, 3], square: [4, 4] };
      const { params, x64 } = makeParams(small, initial(6));
      const opt = createOptimizer(backend, params, { lr: 0.1, momentum: 0.3, scale: 1.5, norm: spectral() });
      const sims = Object.keys(small).map((name) =>
        simParam(name, x64[name]!, { lmo: (d) => lmoSpectral(d, false), lr: 0.1, momentum: 0.3, rho: 1.5, unconstrained: false }),
      );
      driveSync(opt, params, sims, small, gradients(small, 6), () => 1, 10, 2e-4);
    });
  }
});

describe('ScionLight', () => {
  const small: Layout = { w: [3, 4], v: [2, 2], b: [3] };

  function run(alpha: number, unconstrained: boolean): void {
    const { params, x64 } = makeParams(small, initial(7));
    const g = gradients(small, 7);
    // Persistent gradient buffers G, accumulated into by the "backward pass" as a user would.
    const G: Record<string, RefTensor> = {};
    for (const [name, shape] of Object.entries(small)) G[name] = tensor(g(0)[name]!, shape);
    const opt = createOptimizer(ref, params, {
      lr: 0.2,
      momentum: alpha,
      light: true,
      unconstrained,
      gradients: G,
      groups: [
        { match: 'w', norm: colNorm() },
        { match: 'v', norm: spectral() },
        { match: 'b', norm: biasRMS(), scale: 2 },
      ],
    });
    // The caller owns the gradient buffers: the optimizer allocates nothing.
    expect(opt.ownedBytes).toBe(0);
    expect([...opt.gradients.values()]).toEqual(Object.values(G));
    const lmos = { w: (d: ReturnType<typeof mat>) => lmoColNorm(d, false), v: (d: ReturnType<typeof mat>) => lmoSpectral(d, false), b: lmoBiasRMS };
    const sims = Object.entries(lmos).map(([name, lmo]) =>
      simParam(name, x64[name]!, { lmo, lr: 0.2, momentum: alpha, rho: name === 'b' ? 2 : 1, unconstrained, light: true }),
    );
    const G64: Record<string, number[]> = {};
    for (const name of Object.keys(small)) G64[name] = values(G[name]!);
    // The state is the gradient buffers (ScionLight's momentum).
    const s0 = opt.getState();
    expect(s0.parameters.every((p) => Object.keys(p.buffers!).join() === 'gradient')).toBe(true);
    for (const p of s0.parameters) expect(Array.from(p.buffers!.gradient!)).toEqual(G64[p.name]);
    for (let k = 0; k < 8; k++) {
      opt.step();
      for (const p of sims) {
        const [r, c] = view(small[p.name]!);
        simStep(p, mat(r, c, G64[p.name]!), 1);
        expect(relError(values(params[p.name]!), p.x.data), `${p.name} step ${k}`).toBeLessThanOrEqual(2e-4);
        // After the update G ← (1 − α)·G.
        const scaled = G64[p.name]!.map((v) => (1 - alpha) * v);
        expect(relError(values(G[p.name]!), scaled), `G of ${p.name} step ${k}`).toBeLessThanOrEqual(1e-6);
      }
      // The next backward pass accumulates: G ← G + g_{k+1}.
      for (const [name, shape] of Object.entries(small)) {
        const next = tensor(g(k + 1)[name]!, shape);
        ref.assign(G[name]!, ref.add(G[name]!, next));
        G64[name] = values(G[name]!);
      }
    }
  }

  it('d = G, then G ← (1 − α)G; with G += g between steps (α = 0.3, SCG)', () => run(0.3, false));

  it('the optimizer\'s own buffers give the same trajectory, bit for bit: step(g), or accumulate(g) then step()', () => {
    const alpha = 0.3;
    const g = gradients(small, 11);
    const groups = [
      { match: 'w', norm: colNorm() },
      { match: 'v', norm: spectral() },
      { match: 'b', norm: biasRMS(), scale: 2 },
    ];
    const finals: number[][][] = [];
    for (const mode of ['caller', 'fused', 'accumulate'] as const) {
      const { params } = makeParams(small, initial(11));
      const G: Record<string, RefTensor> = {};
      for (const [name, shape] of Object.entries(small)) G[name] = tensor(new Array(shape.reduce((a, d) => a * d, 1)).fill(0), shape);
      const opt = createOptimizer(ref, params, { lr: 0.2, momentum: alpha, light: true, groups, ...(mode === 'caller' ? { gradients: G } : {}) });
      expect(opt.ownedBytes).toBe(mode === 'caller' ? 0 : 4 * (12 + 4 + 3));
      for (let k = 0; k < 6; k++) {
        const gk: Record<string, RefTensor> = {};
        for (const [name, shape] of Object.entries(small)) gk[name] = tensor(g(k)[name]!, shape);
        if (mode === 'caller') {
          for (const name of Object.keys(small)) ref.assign(G[name]!, ref.add(G[name]!, gk[name]!));
          opt.step();
        } else if (mode === 'fused') {
          opt.step(gk);
        } else {
          opt.accumulate(gk);
          opt.step();
        }
      }
      finals.push(Object.values(params).map((p) => values(p)));
    }
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[2]).toEqual(finals[0]);
  });
  it('same with uSCG (α = 0.5)', () => run(0.5, true));
  it('α = 1: G ← 0 after the update, so G_k = g_k (not a running sum)', () => run(1, false));
});
