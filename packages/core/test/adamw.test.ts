/**
 * AdamW (nanoGPT's: clipping at the global norm, decay on matrices only, bias correction) against
 * float64 computations written from the formulas, on both of its paths: the tensor contract
 * (reference backend) and one WebAssembly pass over host arrays (a reference backend that offers
 * `host`).
 */
import { describe, expect, it } from 'vitest';
import type { HostArrays, TensorBackend } from '../src/backend/contract.js';
import { LmoError } from '../src/errors.js';
import { frobenius } from '../src/norms/frobenius.js';
import { adamw } from '../src/optimizer/adamw.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { muon } from '../src/optimizer/presets.js';
import { stateFromJSON, stateToJSON } from '../src/optimizer/state-json.js';
import { Random } from '../src/random.js';
import { createReferenceBackend, RefTensor } from '../src/reference/index.js';
import { warmupCosine } from '../src/schedules/schedules.js';
import { plainState } from './helpers/backend.js';

/** The reference backend with host arrays: `run` hands `fn` the tensors' own arrays, and copies the results in. */
function hostReference(): TensorBackend<RefTensor, 'sync'> & { hostRuns: number } {
  const base = createReferenceBackend({ name: 'reference+host' });
  const backend = {
    ...base,
    hostRuns: 0,
    host: {
      run(inputs, targets, fn) {
        backend.hostRuns++;
        const out = fn(inputs.map((x) => x.data));
        if (out === undefined) return false;
        targets.forEach((t, i) => t.data.set(out[i]!));
        return true;
      },
    } satisfies HostArrays<RefTensor, 'sync'>,
  };
  return backend;
}

/**
 * The reference backend with host arrays kept as onnxruntime keeps them: a target takes over the
 * array `fn` returned, and later runs hand that very array back until something else writes the
 * tensor (an `assign` gives it another).
 */
function adoptingHost(): TensorBackend<RefTensor, 'sync'> & { hostRuns: number } {
  const base = createReferenceBackend({ name: 'reference+adopting host' });
  const adopted = new WeakMap<RefTensor, Float32Array>();
  const backend = {
    ...base,
    hostRuns: 0,
    assign(target: RefTensor, value: RefTensor): void {
      adopted.delete(target);
      base.assign(target, value);
    },
    host: {
      run(inputs, targets, fn) {
        backend.hostRuns++;
        const out = fn(inputs.map((x) => adopted.get(x) ?? x.data));
        if (out === undefined) return false;
        targets.forEach((t, i) => {
          t.data.set(out[i]!);
          adopted.set(t, out[i]!);
        });
        return true;
      },
    } satisfies HostArrays<RefTensor, 'sync'>,
  };
  return backend;
}

const PATHS = [
  ['the tensor contract', () => createReferenceBackend()],
  ['host arrays (WebAssembly)', hostReference],
] as const;

interface Settings {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly wd: number;
  readonly clip: number;
}
const NANOGPT: Settings = { beta1: 0.9, beta2: 0.99, eps: 1e-8, wd: 0.1, clip: 1 };

/** nanoGPT's AdamW in float64, straight from the formulas (clip at the global norm, decay on rank ≥ 2 only). */
function adamw64(params: Float64Array[], shapes: number[][], grads: Float64Array[][], lrs: number[], o: Settings = NANOGPT): Float64Array[] {
  const p = params.map((x) => Float64Array.from(x));
  const m = p.map((x) => new Float64Array(x.length));
  const v = p.map((x) => new Float64Array(x.length));
  grads.forEach((gs, k) => {
    const t = k + 1;
    const norm = Math.sqrt(gs.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    const c = Math.min(1, o.clip / (norm + 1e-6));
    p.forEach((x, i) => {
      const decay = shapes[i]!.length >= 2 ? 1 - lrs[k]! * o.wd : 1;
      for (let j = 0; j < x.length; j++) {
        const g = c * gs[i]![j]!;
        m[i]![j] = o.beta1 * m[i]![j]! + (1 - o.beta1) * g;
        v[i]![j] = o.beta2 * v[i]![j]! + (1 - o.beta2) * g * g;
        const mhat = m[i]![j]! / (1 - o.beta1 ** t);
        const vhat = v[i]![j]! / (1 - o.beta2 ** t);
        x[j] = x[j]! * decay - lrs[k]! * (mhat / (Math.sqrt(vhat) + o.eps));
      }
    });
  });
  return p;
}

const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
const SHAPES = [[5, 3], [7], [2, 2, 3], [], [4, 9]];

function problem(seed: number, scales: readonly number[]) {
  const rng = new Random(seed);
  const init = SHAPES.map((s) => Float32Array.from({ length: size(s) }, () => rng.normal()));
  const grads = scales.map((s) => SHAPES.map((sh) => Float32Array.from({ length: size(sh) }, () => s * rng.normal())));
  return { init, grads };
}

describe.each(PATHS)('adamw on %s', (_label, make) => {
  it('three steps equal AdamW in float64: clipped (‖g‖ > 1), not (< 1), about 1; odd sizes; 0-D, 1-D and 3-D parameters', () => {
    const b = make();
    const { init, grads } = problem(11, [3, 0.01, 1]);
    const params = new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(init[i]!, s)] as const));
    const opt = adamw(b, params, { lr: 0.01, schedule: warmupCosine({ warmup: 2, decaySteps: 10 }) });
    const lrs: number[] = [];
    for (const gs of grads) {
      lrs.push(opt.learningRate('p0'));
      opt.step(new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(gs[i]!, s)] as const)));
    }
    const want = adamw64(init.map((x) => Float64Array.from(x)), SHAPES, grads.map((gs) => gs.map((g) => Float64Array.from(g))), lrs);
    SHAPES.forEach((_, i) => {
      const got = b.read(params.get(`p${i}`)!);
      want[i]!.forEach((w, j) => expect(Math.abs(got[j]! - w), `p${i}[${j}]`).toBeLessThan(2e-6 * Math.max(1, Math.abs(w))));
    });
    expect(opt.stepCount).toBe(3);
    expect(opt.parameters.map((p) => p.buffers)).toEqual(SHAPES.map(() => ['exp_avg', 'exp_avg_sq']));
    expect(opt.ownedBytes).toBeGreaterThanOrEqual(2 * 4 * SHAPES.reduce((a, s) => a + size(s), 0));
  });

  it('the float64 comparison is sensitive: another β₂, no decay or no clipping is caught', () => {
    const b = make();
    const { init, grads } = problem(12, [3, 0.05]);
    const params = new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(init[i]!, s)] as const));
    const opt = adamw(b, params, { lr: 0.01 });
    for (const gs of grads) opt.step(new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(gs[i]!, s)] as const)));
    const got = b.read(params.get('p0')!);
    const worst = (o: Settings) => {
      const want = adamw64(init.map((x) => Float64Array.from(x)), SHAPES, grads.map((gs) => gs.map((g) => Float64Array.from(g))), [0.01, 0.01], o)[0]!;
      return Math.max(...want.map((w, j) => Math.abs(got[j]! - w)));
    };
    expect(worst(NANOGPT)).toBeLessThan(2e-6);
    expect(worst({ ...NANOGPT, wd: 0 })).toBeGreaterThan(1e-5);
    expect(worst({ ...NANOGPT, clip: 1e9 })).toBeGreaterThan(1e-5);
    expect(worst({ ...NANOGPT, beta2: 0.999 })).toBeGreaterThan(1e-5);
  });

  it('a null gradient leaves its parameter and moments unchanged; the others step', () => {
    const b = make();
    const w = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const c = b.fromArray(Float32Array.of(1, 2), [2]);
    const opt = adamw(b, { w, c }, { lr: 0.1 });
    opt.step({ w: b.fromArray(Float32Array.of(0.1, 0.1, 0.1, 0.1), [2, 2]), c: null });
    expect(Array.from(b.read(c))).toEqual([1, 2]);
    expect(Array.from(b.read(w))).not.toEqual([1, 2, 3, 4]);
    const state = opt.getState();
    expect(Array.from(state.parameters[1]!.buffers!.exp_avg!)).toEqual([0, 0]);
  });

  it('NaN in a gradient: throws (nothing written) or skips, as the policy says', () => {
    const b = make();
    for (const nonFinite of ['throw', 'skip'] as const) {
      const w = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
      const opt = adamw(b, { w }, { lr: 0.1, nonFinite });
      const bad = { w: b.fromArray(Float32Array.of(0.1, Number.NaN, 0.1, 0.1), [2, 2]) };
      if (nonFinite === 'throw') expect(() => opt.step(bad)).toThrow(expect.objectContaining({ code: 'NON_FINITE_GRADIENT', message: expect.stringContaining('"w"') }));
      else opt.step(bad);
      expect(Array.from(b.read(w))).toEqual([1, 2, 3, 4]);
      expect([opt.stepCount, opt.skippedSteps]).toEqual([0, nonFinite === 'skip' ? 1 : 0]);
      expect(plainState(opt.getState())).toMatchObject({ step: 0 });
      expect(Array.from(opt.getState().parameters[0]!.buffers!.exp_avg!)).toEqual([0, 0, 0, 0]);
    }
  });
});

describe('adamw', () => {
  it('runs on host arrays where the backend offers them (one host run per step, no tensors of its own)', () => {
    const b = hostReference();
    const w = b.fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const opt = adamw(b, { w }, { lr: 0.1 });
    const before = b.hostRuns;
    opt.step({ w: b.fromArray(Float32Array.of(1, 1, 1, 1), [2, 2]) });
    expect(b.hostRuns - before).toBe(1);
  });

  it('on host arrays, a layout over 2²⁰ floats, staged a stretch at a time: the float64 steps, and no whole copy of the gradients', () => {
    const b = hostReference();
    const shapes = [[1100, 1001], [3], [700, 3]];
    const rng = new Random(5);
    const init = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.normal()));
    const grads = [2, 0.5].map((k) => shapes.map((s) => Float32Array.from({ length: size(s) }, () => k * 1e-3 * rng.normal())));
    const params = new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(init[i]!, s)] as const));
    const opt = adamw(b, params, { lr: 0.01 });
    for (const gs of grads) opt.step(new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(gs[i]!, s)] as const)));
    const want = adamw64(init.map((x) => Float64Array.from(x)), shapes, grads.map((gs) => gs.map((g) => Float64Array.from(g))), [0.01, 0.01]);
    shapes.forEach((_, i) => {
      const got = b.read(params.get(`p${i}`)!);
      let worst = 0;
      want[i]!.forEach((w, j) => (worst = Math.max(worst, Math.abs(got[j]! - w) / Math.max(1, Math.abs(w)))));
      expect(worst, `p${i}`).toBeLessThan(2e-6);
    });
    const n = shapes.reduce((a, s) => a + size(s), 0);
    // both moments, and a stretch of at most 2¹⁸ gradients and one of parameters (in 64 KiB pages): no copy of the parameters
    expect(opt.ownedBytes).toBeLessThanOrEqual(2 * 4 * (n + 12) + 2 * 4 * 2 ** 18 + 65536);
    // a NaN past the first stretch is found, and nothing is written
    const bad = grads[0]!.map((g) => g.slice());
    bad[0]![900_000] = NaN;
    const before = b.read(params.get('p2')!);
    expect(() => opt.step(new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(bad[i]!, s)] as const)))).toThrow(/NaN or Inf \(in "p0"\)/);
    expect(b.read(params.get('p2')!)).toEqual(before);
  });

  // Layouts staged whole (up to 2²⁰ floats) and a stretch at a time: in the second, [3, 5] is padded to 16
  // floats, so [1025, 1001] straddles the stretches' boundaries at 2¹⁸, 2·2¹⁸ and 3·2¹⁸ and [600, 500] the fourth.
  // Each on a host that copies the results into the tensors' own arrays and on one that adopts them (then a
  // parameter's array comes back to the next step unchanged, unless assigned in between).
  describe.each([
    ['staged whole', [[7], [3, 5], [513, 1001], [600, 500]]],
    ['staged a stretch at a time', [[7], [3, 5], [1025, 1001], [600, 500]]],
  ] as const)('on host arrays, a layout %s', (_layout, shapes) => {
    it.each([
      ['copies the results', hostReference],
      ['adopts the results', adoptingHost],
    ] as const)('on a host that %s: exactly the float32 arithmetic of the formulas, element by element, a parameter assigned between steps read again', (_host, make) => {
      // float32 AdamW in the pass's order of operations (each product, sum and quotient rounded to float32),
      // unclipped (‖g‖ < 1, so c = 1 exactly): any element staged from or to the wrong place, left out, or
      // stale, differs
      const f = Math.fround;
      const [beta1, beta2, eps, lr, wd] = [0.9, 0.95, 1e-8, 0.01, 0.1];
      const b = make();
      const rng = new Random(11);
      const init = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.normal()));
      const grads = [1, 0.5, 2].map((k) => shapes.map((s) => Float32Array.from({ length: size(s) }, () => k * 1e-4 * rng.normal())));
      // after the first step, the second matrix is set to new values through the backend
      const assigned = Float32Array.from({ length: size(shapes[2]) }, () => rng.normal());
      const params = new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(init[i]!, [...s])] as const));
      const opt = adamw(b, params, { lr, betas: [beta1, beta2], eps, weightDecay: wd });
      grads.forEach((gs, k) => {
        if (k === 1) b.run(() => b.assign(params.get('p2')!, b.fromArray(assigned, [...shapes[2]])));
        opt.step(new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(gs[i]!, [...s])] as const)));
      });
      const state = opt.getState().parameters;
      const firstDifference = (got: Float32Array, want: Float32Array): number => (got.length !== want.length ? -2 : got.findIndex((x, j) => x !== want[j]));
      shapes.forEach((s, i) => {
        const p = Float32Array.from(init[i]!);
        const m = new Float32Array(p.length);
        const v = new Float32Array(p.length);
        grads.forEach((gs, k) => {
          if (k === 1 && i === 2) p.set(assigned);
          const t = k + 1;
          const [b1, c1, b2, c2, s2, e] = [beta1, 1 - beta1, beta2, 1 - beta2, 1 / Math.sqrt(1 - beta2 ** t), eps].map(f) as [number, number, number, number, number, number];
          const decay = f(s.length >= 2 ? 1 - lr * wd : 1);
          const step = f(-lr / (1 - beta1 ** t));
          gs[i]!.forEach((g, j) => {
            m[j] = f(f(b1 * m[j]!) + f(c1 * g));
            v[j] = f(f(b2 * v[j]!) + f(f(c2 * g) * g));
            p[j] = f(f(decay * p[j]!) + f(f(step * m[j]!) / f(f(f(Math.sqrt(v[j]!)) * s2) + e)));
          });
        });
        const buffers = state.find((x) => x.name === `p${i}`)!.buffers!;
        expect(firstDifference(b.read(params.get(`p${i}`)!), p), `p${i}: its first element that differs`).toBe(-1);
        expect(firstDifference(buffers['exp_avg']!, m), `p${i}: exp_avg`).toBe(-1);
        expect(firstDifference(buffers['exp_avg_sq']!, v), `p${i}: exp_avg_sq`).toBe(-1);
      });
      // staged whole: both moments and a staged copy of the gradients and of the parameters; else two stretches
      const n = shapes.reduce((a, s) => a + Math.ceil(size(s) / 4) * 4, 0);
      const staged = n <= 2 ** 20 ? n : 2 ** 18;
      expect(opt.ownedBytes).toBeLessThanOrEqual(4 * (2 * n + 2 * staged) + 65536);
    });
  });

  it('matches a hand-computed first step: β (0.9, 0.99), λ 0.1 on the matrix only, clipping at 1', () => {
    const b = createReferenceBackend();
    const w = b.fromArray(Float32Array.of(0.5, -1, 2, 0), [2, 2]);
    const g = b.fromArray(Float32Array.of(0.1, 0.2, -0.3, 0.4), [4]);
    adamw(b, { w, g }, { lr: 0.1 }).step({ w: b.fromArray(Float32Array.of(3, 0, 0, -4), [2, 2]), g: b.fromArray(Float32Array.of(0, 0, 0, 0.5), [4]) });
    // t = 1: m̂ = c·g, v̂ = c²·g², so the step is lr·sign(g) (0 where g = 0); decay (1 − 0.1·0.1) on w only
    expect(Array.from(b.read(w))).toEqual([0.5 * 0.99 - 0.1, -1 * 0.99, 2 * 0.99, 0 * 0.99 + 0.1].map(Math.fround).map((x, i) => expect.closeTo(x, 6 + 0 * i)));
    expect(Array.from(b.read(g))).toEqual([0.1, 0.2, -0.3, 0.4 - 0.1].map((x) => expect.closeTo(x, 6)));
  });

  it('saves core\'s versioned state; a state of either path continues on the other', () => {
    const { init, grads } = problem(13, [3, 0.5, 0.2]);
    const step = (b: TensorBackend<RefTensor>, opt: ReturnType<typeof adamw<RefTensor, 'sync'>>, k: number) =>
      opt.step(new Map(SHAPES.map((s, i) => [`p${i}`, b.fromArray(grads[k]![i]!, s)] as const)));
    const tensors = createReferenceBackend();
    const tp = new Map(SHAPES.map((s, i) => [`p${i}`, tensors.fromArray(init[i]!, s)] as const));
    const onTensors = adamw(tensors, tp, { lr: 0.01 });
    step(tensors, onTensors, 0);
    step(tensors, onTensors, 1);
    const saved = stateFromJSON(JSON.parse(JSON.stringify(stateToJSON(onTensors.getState()))));
    expect(saved).toMatchObject({ format: 'lmo-optimizer-state', version: 3, step: 2 });
    const host = hostReference();
    const hp = new Map(SHAPES.map((s, i) => [`p${i}`, host.fromArray(tensors.read(tp.get(`p${i}`)!), s)] as const));
    const onHost = adamw(host, hp, { lr: 0.01 });
    onHost.loadState(saved);
    expect(onHost.stepCount).toBe(2);
    step(tensors, onTensors, 2);
    step(host, onHost, 2);
    SHAPES.forEach((_, i) => {
      const want = tensors.read(tp.get(`p${i}`)!);
      const got = host.read(hp.get(`p${i}`)!);
      want.forEach((x, j) => expect(Math.abs(got[j]! - x)).toBeLessThan(1e-6 * Math.max(1, Math.abs(x))));
    });
    // and back: the host path's state loads into the tensor path
    const back = adamw(tensors, tp, { lr: 0.01 });
    back.loadState(onHost.getState());
    expect(plainState(back.getState())).toEqual(plainState(onHost.getState()));
    // a mismatching state changes nothing
    expect(() => onHost.loadState({ ...saved, parameters: saved.parameters.slice(1) })).toThrow(expect.objectContaining({ code: 'STATE_MISMATCH' }));
    expect(onHost.stepCount).toBe(3);
  });

  it('unknown options are errors that say what they are called here', () => {
    const b = createReferenceBackend();
    const w = b.fromArray(new Float32Array(4), [2, 2]);
    expect(() => adamw(b, { w }, { lr: 1e-3, weight_decay: 0.1 } as never)).toThrow(/unknown option "weight_decay" \(it is "weightDecay"/);
    expect(() => adamw(b, { w }, { lr: 1e-3, beta1: 0.9 } as never)).toThrow(/unknown option "beta1" \(it is betas: \[β₁, β₂\]/);
    expect(() => adamw(b, { w }, { lr: 1e-3, momentum: 0.9 } as never)).toThrow(/"momentum".*betas\[0\]/);
    expect(() => adamw(b, { w }, { lr: 1e-3, betas: [0.9, 1] })).toThrow(LmoError);
    expect(() => adamw(b, { w }, { lr: 1e-3, eps: 0 })).toThrow(/eps must be/);
    expect(() => adamw(b, { w }, { lr: 1e-3, clip: -1 })).toThrow(/clip must be/);
  });

  it('init() refuses AdamW parameters (no norm to draw them from)', () => {
    const b = createReferenceBackend();
    const opt = adamw(b, { w: b.fromArray(new Float32Array(4), [2, 2]) }, { lr: 1e-3 });
    expect(() => opt.init(1)).toThrow(/AdamW group "adamw".*initialize it yourself/);
  });
});

describe('AdamW groups beside LMO groups (one optimizer, one step, one state)', () => {
  it('Muon on the matrix, AdamW on the rest: each part updates exactly as the pure optimizer would', () => {
    const b = createReferenceBackend();
    const rng = new Random(21);
    const W0 = Float32Array.from({ length: 12 }, () => rng.normal());
    const e0 = Float32Array.from({ length: 6 }, () => rng.normal());
    const grads = [0, 1, 2].map(() => ({ W: Float32Array.from({ length: 12 }, () => rng.normal()), e: Float32Array.from({ length: 6 }, () => 5 * rng.normal()) }));
    const hybrid = { W: b.fromArray(W0, [3, 4]), e: b.fromArray(e0, [2, 3]) };
    const opt = muon(b, hybrid, { lr: 0.02, clip: 1, groups: [{ name: 'hidden', match: 'W', norm: frobenius() }, { name: 'rest', lr: 0.01, adamw: { weightDecay: 0 } }] });
    const pureMuon = { W: b.fromArray(W0, [3, 4]) };
    const m = muon(b, pureMuon, { lr: 0.02, groups: [{ norm: frobenius() }] });
    const pureAdam = { e: b.fromArray(e0, [2, 3]) };
    const a = adamw(b, pureAdam, { lr: 0.01, weightDecay: 0 });
    for (const g of grads) {
      opt.step({ W: b.fromArray(g.W, [3, 4]), e: b.fromArray(g.e, [2, 3]) });
      m.step({ W: b.fromArray(g.W, [3, 4]) });
      a.step({ e: b.fromArray(g.e, [2, 3]) });
    }
    expect(Array.from(b.read(hybrid.W))).toEqual(Array.from(b.read(pureMuon.W)));
    Array.from(b.read(pureAdam.e)).forEach((x, j) => expect(Math.abs(b.read(hybrid.e)[j]! - x)).toBeLessThan(1e-6));
    expect(opt.parameters.map((p) => [p.name, p.group, p.norm?.kind, p.buffers])).toEqual([
      ['W', 'hidden', 'frobenius', ['momentum']],
      ['e', 'rest', undefined, ['exp_avg', 'exp_avg_sq']],
    ]);
    expect(Object.keys(opt.getState().parameters[1]!.buffers!)).toEqual(['exp_avg', 'exp_avg_sq']);
  });

  it('an AdamW group takes none of an LMO group\'s options, and ScionLight has no AdamW groups', () => {
    const b = createReferenceBackend();
    const w = b.fromArray(new Float32Array(4), [2, 2]);
    expect(() => createOptimizer(b, { w }, { lr: 1, groups: [{ adamw: {}, momentum: 0.1 }] })).toThrow(/AdamW group.*takes no "momentum"/);
    expect(() => createOptimizer(b, { w }, { lr: 1, groups: [{ adamw: { weight_decay: 0 } as never }] })).toThrow(/unknown option "weight_decay" \(it is "weightDecay"/);
    expect(() => createOptimizer(b, { w }, { lr: 1, light: true, groups: [{ adamw: {} }] })).toThrow(/ScionLight.*no AdamW groups/);
  });
});
