import { fileURLToPath } from 'node:url';
import { RefTensor, referenceBackend } from '@lmo/core/reference';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../src/bench/queue.js';
import { expandRecipes, recipePointKey, recipePoints, type RecipeSweep } from '../src/bench/recipe.js';
import { isRecipeRecord, summarize } from '../src/report/recipe-report.js';
import { paramSpecs, sizeOf, type GPTConfig, DEFAULT_OPTIMIZER, OPTIMIZERS, recipeOf, scheduleFor, applySettings, PAPER_SCION, TUNED_USCION, recipeDiff, recipeId, recipeOptimizer, recipeSchedule, type Recipe } from '@lmo/gpt';
import { nanogptCommand } from '../src/cli/options.js';
import { UsageError } from '../src/util/errors.js';

const sweep = (vary: string[], set: string[] = []): RecipeSweep => ({
  base: PAPER_SCION,
  set,
  vary,
  seeds: [1337, 1338],
  iters: 500,
  evalIters: 50,
  evalEvery: 500,
  batchSize: 12,
});

describe('recipes as data', () => {
  it('the scion optimizer is the paper recipe: ρ 3 / 3 / 3 / 180, α 0.1, γ 2^-8, cosine, quintic', () => {
    expect(recipeOf('scion')).toEqual({ ...PAPER_SCION });
    expect(PAPER_SCION).toMatchObject({ family: 'scion', lr: 2 ** -8, momentum: 0.1, hidden: 3, gains: 3, positions: 3, embedding: 180, schedule: 'cosine', ortho: 'quintic' });
    expect(recipeOf('uscion')?.family).toBe('uscion');
    expect(recipeOf('adamw')).toBeUndefined();
  });

  it('pnpm nanogpt trains the tuned recipe by default, with its lr and schedule; scion stays selectable', () => {
    const o = nanogptCommand().exitOverride().parse([], { from: 'user' }).opts();
    expect(o.optimizer).toBe(DEFAULT_OPTIMIZER);
    expect(recipeOf(DEFAULT_OPTIMIZER)).toEqual(TUNED_USCION);
    expect(OPTIMIZERS[DEFAULT_OPTIMIZER].lr).toBe(TUNED_USCION.lr);
    expect(nanogptCommand().exitOverride().parse(['--optimizer', 'scion'], { from: 'user' }).opts().optimizer).toBe('scion');
    // the default's schedule is the recipe's: linear to zero at the last iteration (nanoGPT's cosine ends at 1/10)
    expect(scheduleFor(DEFAULT_OPTIMIZER, 2000)(2000)).toBe(TUNED_USCION.schedule === 'cosine' ? 0.1 : 0);
    expect(scheduleFor('scion', 2000)(2000)).toBeCloseTo(0.1, 12);
  });

  it('the tuned recipe is the best three-seed mean of the committed 2000-iteration sweep', () => {
    const file = fileURLToPath(new URL('../results/recipe/recipe-2000.jsonl', import.meta.url));
    const confirmed = summarize(readRecords(file, isRecipeRecord), 2000).filter((s) => s.seeds.length >= 3);
    expect(confirmed.length).toBeGreaterThan(1);
    expect(confirmed[0]!.recipe).toEqual(TUNED_USCION);
    expect(confirmed[0]!.mean).toBeLessThan(confirmed[1]!.mean);
  });

  it('applies key=value settings (2^k allowed) and rejects bad ones by name', () => {
    const r = applySettings(PAPER_SCION, ['lr=2^-7', 'family=uscion', 'schedule=wsd', 'decay=0.3', 'ortho=polar-express', 'embedding=90']);
    expect(r).toMatchObject({ lr: 2 ** -7, family: 'uscion', schedule: 'wsd', decay: 0.3, ortho: 'polar-express', embedding: 90 });
    expect(() => applySettings(PAPER_SCION, ['speed=3'])).toThrow(/unknown recipe key "speed"/);
    expect(() => applySettings(PAPER_SCION, ['momentum=1.5'])).toThrow(/momentum must be a number in \(0, 1\]/);
    expect(() => applySettings(PAPER_SCION, ['schedule=step'])).toThrow(/schedule must be one of cosine, linear, wsd/);
    expect(() => applySettings(PAPER_SCION, ['hidden=-1'])).toThrow(UsageError);
    expect(() => applySettings(PAPER_SCION, ['lr'])).toThrow(/expected key=value/);
  });

  it('expands --vary as a cartesian product (first key outermost), without duplicates, times seeds', () => {
    const s = sweep(['family=scion,uscion', 'lr=2^-8,2^-7'], ['momentum=0.2']);
    const recipes = expandRecipes(s);
    expect(recipes.map((r) => `${r.family} ${r.lr}`)).toEqual([`scion ${2 ** -8}`, `scion ${2 ** -7}`, `uscion ${2 ** -8}`, `uscion ${2 ** -7}`]);
    expect(recipes.every((r) => r.momentum === 0.2)).toBe(true);
    expect(recipePoints(s)).toHaveLength(8);
    expect(expandRecipes(sweep(['lr=2^-8,0.00390625']))).toHaveLength(1);
  });

  it('identifies a recipe by every value (decay only for wsd) and keys runs by length and seed', () => {
    expect(recipeId(PAPER_SCION)).toBe('family=scion lr=2^-8 momentum=0.1 hidden=3 gains=3 positions=3 embedding=180 schedule=cosine warmup=100 ortho=quintic');
    expect(recipeId({ ...PAPER_SCION, decay: 0.5 })).toBe(recipeId(PAPER_SCION));
    expect(recipeId({ ...PAPER_SCION, schedule: 'wsd' })).toContain('decay=0.2');
    expect(recipeDiff({ ...PAPER_SCION, lr: 2 ** -7, hidden: 6 }, PAPER_SCION)).toBe('lr=2^-7 hidden=6');
    const p = { recipe: PAPER_SCION, seed: 1 };
    expect(recipePointKey(p, { iters: 500, evalIters: 50, batchSize: 12 })).not.toBe(recipePointKey(p, { iters: 2000, evalIters: 50, batchSize: 12 }));
  });
});

describe('recipe schedules', () => {
  const base: Pick<Recipe, 'warmup' | 'decay'> = { warmup: 10, decay: 0.2 };
  it('cosine: nanoGPT warmup, half cosine to 1/10 at the last iteration', () => {
    const f = recipeSchedule({ ...base, schedule: 'cosine' }, 110);
    expect(f(0)).toBeCloseTo(1 / 11, 12);
    expect(f(5)).toBeCloseTo(6 / 11, 12);
    expect(f(10)).toBeCloseTo(1, 12);
    expect(f(60)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 2)), 12);
    expect(f(110)).toBeCloseTo(0.1, 12);
  });
  it('linear: warmup, then linear to zero at the last iteration', () => {
    const f = recipeSchedule({ ...base, schedule: 'linear' }, 110);
    expect(f(9)).toBeCloseTo(10 / 11, 12);
    expect(f(10)).toBeCloseTo(1, 12);
    expect(f(60)).toBeCloseTo(0.5, 12);
    expect(f(110)).toBe(0);
  });
  it('wsd: warmup, constant, then linear to zero over the last `decay` fraction', () => {
    const f = recipeSchedule({ ...base, schedule: 'wsd' }, 110); // decay over round(0.2·110) = 22 iterations
    expect(f(10)).toBe(1);
    expect(f(87)).toBe(1);
    expect(f(88)).toBeCloseTo(1, 12);
    expect(f(99)).toBeCloseTo(0.5, 12);
    expect(f(110)).toBe(0);
  });
});

describe('recipe optimizer', () => {
  const cfg: GPTConfig = { vocabSize: 7, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 4 };
  const values = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + k) * 0.5);
  const make = () => new Map(paramSpecs(cfg).map((s, k) => [s.name, new RefTensor(values(sizeOf(s.shape), k), s.shape)]));
  const grads = () => new Map(paramSpecs(cfg).map((s, k) => [s.name, new RefTensor(values(sizeOf(s.shape), 10 + k), s.shape)]));

  /** One uSCG step (momentum 1, no warmup: factor 1 at step 0); returns x1 − x0 per parameter. */
  function delta(r: Recipe): Map<string, Float64Array> {
    const params = make();
    const before = new Map([...params].map(([k, t]) => [k, Float64Array.from(t.data)]));
    const opt = recipeOptimizer(r, referenceBackend, params, recipeSchedule(r, 10));
    opt.step(grads());
    return new Map([...params].map(([k, t]) => [k, Float64Array.from(t.data, (v, i) => v - before.get(k)![i]!)]));
  }

  it('routes the groups with the recipe radii: the update scales with each group radius', () => {
    const unit: Recipe = { ...PAPER_SCION, family: 'uscion', momentum: 1, warmup: 0, hidden: 1, gains: 1, positions: 1, embedding: 1 };
    const scaled: Recipe = { ...unit, hidden: 2, gains: 3, positions: 5, embedding: 7 };
    const d1 = delta(unit);
    const d2 = delta(scaled);
    const radius = (name: string): number =>
      name === 'transformer.wte.weight' ? 7 : name === 'transformer.wpe.weight' ? 5 : name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name.endsWith('ln_f.weight') ? 3 : 2;
    for (const [name, a] of d1) {
      const b = d2.get(name)!;
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(radius(name) * v, 5));
      expect(a.some((v) => v !== 0)).toBe(true);
    }
  });

  it('gains follow BiasRMS: Δx = −γ·ρ·g / (rms(g) + 1e-8), in float64', () => {
    const r: Recipe = { ...PAPER_SCION, family: 'uscion', momentum: 1, warmup: 0, gains: 3, lr: 0.01 };
    const d = delta(r);
    const g = Float64Array.from(values(cfg.nEmbd, 10 + 2)); // ln_1 of layer 0 is the third parameter
    const rms = Math.sqrt(g.reduce((s, v) => s + v * v, 0) / g.length);
    const got = d.get('transformer.h.0.ln_1.weight')!;
    g.forEach((v, i) => expect(got[i]).toBeCloseTo((-0.01 * 3 * v) / (rms + 1e-8), 6));
  });

  it('passes the orthogonalization method to the spectral norm and the family to the update', () => {
    const opt = recipeOptimizer({ ...PAPER_SCION, ortho: 'polar-express' }, referenceBackend, make(), recipeSchedule(PAPER_SCION, 10));
    const info = opt.parameters.find((p) => p.name === 'transformer.h.0.mlp.c_fc.weight')!;
    expect(info).toMatchObject({ group: 'hidden', norm: { kind: 'spectral', options: { method: 'polar-express' } } });
    // SCG shrinks x by (1 − γ) before the step: with a zero gradient on a fresh buffer the LMO of 0 is 0
    const params = make();
    const before = Float64Array.from(params.get('transformer.h.0.ln_1.weight')!.data);
    const scg = recipeOptimizer({ ...PAPER_SCION, lr: 0.5, warmup: 0 }, referenceBackend, params, recipeSchedule({ ...PAPER_SCION, warmup: 0 }, 10));
    scg.step(new Map([...params].map(([k, t]) => [k, new RefTensor(new Float32Array(t.data.length), t.shape)])));
    params.get('transformer.h.0.ln_1.weight')!.data.forEach((v, i) => expect(v).toBeCloseTo(0.5 * before[i]!, 6));
  });
});
