import {
  createOptimizer,
  linearDecay,
  linearWarmup,
  sequence,
  transformerGroups,
  warmupCosine,
  warmupStableDecay,
  type GroupSpec,
  type LmoOptimizer,
  type NamedTensors,
  type OptimizerOptions,
  type Schedule,
  type TensorBackend,
} from '@lmo/core';
import { UsageError } from '../errors.js';

/** Learning-rate schedule shapes a recipe can use (all start with nanoGPT's linear warmup). */
export const SCHEDULE_KINDS = ['cosine', 'linear', 'wsd'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** Orthogonalization of the spectral LMO: Keller Jordan's quintic or Polar Express. */
export const ORTHO_METHODS = ['quintic', 'polar-express'] as const;
export type OrthoMethod = (typeof ORTHO_METHODS)[number];

export const FAMILIES = ['scion', 'uscion'] as const;
/** `scion`: the constrained update (SCG), `x ← (1 − γ)·x − γρ·lmo(d)`; `uscion`: uSCG, `x ← x − γρ·lmo(d)`. */
export type Family = (typeof FAMILIES)[number];

/**
 * A complete Scion-family configuration for nanoGPT with a tied head, as data. The four parameter
 * groups and their norms are core's `transformerGroups()` (block matrices → Spectral, LayerNorm gains →
 * BiasRMS, `wpe` → ColNorm on the transpose, tied `wte`/`lm_head` → Sign, normalized); a recipe sets
 * their radii ρ and everything the update rule and its schedule take.
 */
export interface Recipe {
  /** Constrained (SCG, `scion`) or unconstrained (uSCG, `uscion`). */
  readonly family: Family;
  /** Base learning rate γ (multiplied by the schedule). */
  readonly lr: number;
  /** Momentum α (`d ← (1 − α)·d + α·g`; 1 − β). */
  readonly momentum: number;
  /** Radius ρ of the block matrices (Spectral). */
  readonly hidden: number;
  /** Radius ρ of the LayerNorm gains (BiasRMS). */
  readonly gains: number;
  /** Radius ρ of the position embedding `wpe` (ColNorm, transposed). */
  readonly positions: number;
  /** Radius ρ of the tied token embedding / output head (Sign, normalized). */
  readonly embedding: number;
  /**
   * `cosine`: nanoGPT's (warmup, half cosine to γ/10 at the last iteration); `linear`: warmup, then
   * linear to 0 at the last iteration; `wsd`: warmup, constant, then linear to 0 over the last
   * `decay` fraction of the iterations.
   */
  readonly schedule: ScheduleKind;
  /** Warmup iterations, `γ·(t + 1)/(warmup + 1)` for `t < warmup`. */
  readonly warmup: number;
  /** `wsd` only: the fraction of the iterations spent in the final decay, in (0, 1]. */
  readonly decay: number;
  /** Newton–Schulz coefficients of the spectral LMO (5 steps). */
  readonly ortho: OrthoMethod;
}

/** The paper's Scion for nanoGPT: ρ = 3 everywhere but 180 on the tied embedding, α = 0.1, γ = 2⁻⁸, nanoGPT's schedule. */
export const PAPER_SCION: Recipe = {
  family: 'scion',
  lr: 2 ** -8,
  momentum: 0.1,
  hidden: 3,
  gains: 3,
  positions: 3,
  embedding: 180,
  schedule: 'cosine',
  warmup: 100,
  decay: 0.2,
  ortho: 'quintic',
};

/** The same with the unconstrained update (uSCG). */
export const PAPER_USCION: Recipe = { ...PAPER_SCION, family: 'uscion' };

/**
 * The tuned recipe for the main job (nanoGPT's CPU config, 2000 iterations): the paper's groups with
 * the unconstrained update (uSCG), γ = 2⁻⁸, the LayerNorm gains' radius halved (ρ = 1.5), and a linear
 * decay to zero after nanoGPT's 100-iteration warmup. The best three-seed mean of the recipe sweep
 * (`scripts/tuning.sh`, results in `results/recipe/recipe-2000.jsonl`); the docs' tuning page has the
 * sweep and the three-seed table.
 */
export const TUNED_USCION: Recipe = { ...PAPER_USCION, schedule: 'linear', gains: 1.5 };

/** core's {@link transformerGroups} (nanoGPT's parameter names, tied head) with the recipe's radii and orthogonalization. */
export function recipeGroups(r: Pick<Recipe, 'hidden' | 'gains' | 'positions' | 'embedding' | 'ortho'>): GroupSpec[] {
  return transformerGroups({
    radii: { hidden: r.hidden, gains: r.gains, positions: r.positions, embedding: r.embedding },
    spectral: { method: r.ortho },
  });
}

/** The recipe's schedule for a run of `iters` iterations (warmup capped at `iters`). */
export function recipeSchedule(r: Pick<Recipe, 'schedule' | 'warmup' | 'decay'>, iters: number): Schedule {
  const warmup = Math.min(r.warmup, iters);
  switch (r.schedule) {
    case 'cosine':
      return warmupCosine({ warmup, decaySteps: iters, final: 0.1 });
    case 'linear':
      return sequence([linearWarmup(warmup), warmup], linearDecay(iters - warmup, 0));
    case 'wsd': {
      const decay = Math.min(iters - warmup, Math.max(1, Math.round(r.decay * iters)));
      return warmupStableDecay({ warmup, total: iters, decay, final: 0 });
    }
  }
}

/** The recipe as core optimizer options (SCG for `scion`, uSCG for `uscion`), with base `lr` and `schedule`. */
export function recipeOptions(r: Recipe, schedule: Schedule, lr: number = r.lr): OptimizerOptions {
  return { lr, schedule, momentum: r.momentum, groups: recipeGroups(r), nonFinite: 'ignore', unconstrained: r.family === 'uscion' };
}

/** Builds the recipe's optimizer ({@link recipeOptions}), with `storage`'s buffer dtype and compensation (float32 when empty). */
export function recipeOptimizer<T>(
  r: Recipe,
  backend: TensorBackend<T>,
  params: NamedTensors<T>,
  schedule: Schedule,
  lr: number = r.lr,
  storage: Pick<OptimizerOptions, 'bufferDtype' | 'compensation' | 'roundingSeed'> = {},
): LmoOptimizer<T> {
  return createOptimizer(backend, params, { ...recipeOptions(r, schedule, lr), ...storage });
}

// ---- text form: `key=value` -----------------------------------------------------------------

/** The keys of a recipe, in the order they are printed. */
export const RECIPE_KEYS = ['family', 'lr', 'momentum', 'hidden', 'gains', 'positions', 'embedding', 'schedule', 'warmup', 'decay', 'ortho'] as const;
export type RecipeKey = (typeof RECIPE_KEYS)[number];

function isRecipeKey(s: string): s is RecipeKey {
  return (RECIPE_KEYS as readonly string[]).includes(s);
}

/** A number as written on a command line: decimal, exponent, or `2^k`. */
export function parseNumber(text: string): number {
  const t = text.trim();
  const n = t.startsWith('2^') ? 2 ** Number(t.slice(2)) : t === '' ? Number.NaN : Number(t);
  return n;
}

function choice<C extends string>(key: string, value: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`recipe ${key} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as C;
}

function positiveNumber(key: string, value: string, { max, integer }: { max?: number; integer?: boolean } = {}): number {
  const n = parseNumber(value);
  const ok = Number.isFinite(n) && (integer ? Number.isInteger(n) && n >= 0 : n > 0) && (max === undefined || n <= max);
  if (!ok) {
    const what = integer ? 'an integer ≥ 0' : max !== undefined ? `a number in (0, ${max}]` : 'a number > 0';
    throw new UsageError(`recipe ${key} must be ${what}, got "${value}"`);
  }
  return n;
}

/** Parses one value of `key` (a usage error naming the key and what it expects). */
export function parseRecipeValue(key: string, value: string): Partial<Recipe> {
  if (!isRecipeKey(key)) throw new UsageError(`unknown recipe key "${key}" (choose from: ${RECIPE_KEYS.join(', ')})`);
  switch (key) {
    case 'family':
      return { family: choice(key, value, FAMILIES) };
    case 'schedule':
      return { schedule: choice(key, value, SCHEDULE_KINDS) };
    case 'ortho':
      return { ortho: choice(key, value, ORTHO_METHODS) };
    case 'momentum':
    case 'decay':
      return { [key]: positiveNumber(key, value, { max: 1 }) };
    case 'warmup':
      return { warmup: positiveNumber(key, value, { integer: true }) };
    default:
      return { [key]: positiveNumber(key, value) };
  }
}

/** Applies `key=value` settings to a recipe. */
export function applySettings(base: Recipe, settings: readonly string[]): Recipe {
  let r = base;
  for (const s of settings) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected key=value, got "${s}"`);
    r = { ...r, ...parseRecipeValue(s.slice(0, eq).trim(), s.slice(eq + 1).trim()) };
  }
  return r;
}

function numberText(v: number): string {
  const log2 = Math.log2(v);
  return Number.isInteger(log2) && Math.abs(log2) >= 3 ? `2^${log2}` : String(v);
}

/**
 * A recipe as `key=value` pairs, every key, in {@link RECIPE_KEYS} order: a stable identity for
 * results files (`decay` only for `wsd`, where it matters).
 */
export function recipeId(r: Recipe): string {
  return RECIPE_KEYS.filter((k) => k !== 'decay' || r.schedule === 'wsd')
    .map((k) => `${k}=${typeof r[k] === 'number' ? numberText(r[k]) : r[k]}`)
    .join(' ');
}

/** The keys where `r` differs from `base`, as `key=value` (empty when equal). */
export function recipeDiff(r: Recipe, base: Recipe): string {
  return RECIPE_KEYS.filter((k) => r[k] !== base[k] && (k !== 'decay' || r.schedule === 'wsd'))
    .map((k) => `${k}=${typeof r[k] === 'number' ? numberText(r[k]) : r[k]}`)
    .join(' ');
}
