import { LmoError } from '../errors.js';
import { auto } from '../norms/auto.js';
import type { Norm } from '../norms/norm.js';
import type { Schedule } from '../schedules/schedules.js';
import type { GroupSpec } from './groups.js';

/** What to do with a gradient that holds NaN or ±Inf. */
export type NonFinitePolicy =
  /** Throw a `NON_FINITE_GRADIENT` error; nothing is written (default). */
  | 'throw'
  /** Skip the step: parameters, state and step count stay as they were; `skippedSteps` grows. */
  | 'skip'
  /** Do not check (saves the check per step); NaN then flows into the parameters. */
  | 'ignore';

/** Options of an LMO optimizer (`createOptimizer`, the presets, and adapters built on `UpdateRule`). */
export interface OptimizerOptions {
  /** Base learning rate γ (finite, ≥ 0). */
  readonly lr: number;
  /** Multiplies γ at each step (`schedule(stepCount)`). Default: constant 1. */
  readonly schedule?: Schedule;
  /** Momentum α ∈ (0, 1]: `d ← (1 − α)·d + α·g`; 1 keeps no buffer. Default `0.1`. */
  readonly momentum?: number;
  /** Radius ρ for groups that do not set `scale`. Default `1`. */
  readonly scale?: number;
  /** uSCG (`x ← x − γρ·lmo(d)`) instead of SCG (`x ← (1 − γ)·x − γρ·lmo(d)`). Default `false`. */
  readonly unconstrained?: boolean;
  /**
   * ScionLight: keep no momentum buffer; the gradient buffer `G` is the direction, and after each
   * update `G ← (1 − α)·G`, so that with the next backward pass accumulating into it
   * `G_k = (1 − α)·G_{k−1} + g_k`. Default `false`.
   */
  readonly light?: boolean;
  /** Parameter groups. Default: one group, every parameter, with `norm` (or `auto()`). */
  readonly groups?: readonly GroupSpec[];
  /** The norm of the single default group when `groups` is not given. Default `auto()`. */
  readonly norm?: Norm;
  /** NaN/Inf gradient policy. Default `'throw'`. */
  readonly nonFinite?: NonFinitePolicy;
}

/** A group with every hyperparameter settled. */
export interface ResolvedGroup {
  /** Its position in the options' `groups`. */
  readonly index: number;
  readonly name: string;
  readonly norm: Norm;
  /** Radius ρ. */
  readonly scale: number;
  /** Base learning rate γ (before the schedule). */
  readonly lr: number;
  /** Momentum α. */
  readonly momentum: number;
  readonly unconstrained: boolean;
}

/** The options, validated, with defaults filled in. */
export interface ResolvedOptions {
  readonly groups: readonly ResolvedGroup[];
  /** The group specs (the given ones, or the single default group). */
  readonly specs: readonly GroupSpec[];
  readonly schedule: Schedule | undefined;
  readonly light: boolean;
  readonly nonFinite: NonFinitePolicy;
}

function fail(message: string): never {
  throw new LmoError('INVALID_HYPERPARAMETER', message);
}

/** A learning rate must be a finite number ≥ 0. */
export function checkLr(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${name} must be a finite number ≥ 0, got ${String(value)}`);
}

/** Momentum α (the reference's `momentum`, 1 − β) must lie in (0, 1]. */
export function checkMomentum(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    fail(`${name} must be in (0, 1] (it is 1 − β: 0.1 means β = 0.9; 1 keeps no buffer), got ${String(value)}`);
  }
}

/** A radius ρ must be a finite number > 0. */
export function checkScale(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a finite number > 0, got ${String(value)}`);
}

function checkBool(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') fail(`${name} must be a boolean, got ${String(value)}`);
}

/** Validates every option (throwing an `LmoError` that names the first bad one) and fills in defaults. */
export function resolveOptions(options: OptimizerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('options must be an object with at least { lr }');
  if (options.lr === undefined) fail('lr is required (the base learning rate γ, e.g. 2 ** -8), got undefined');
  checkLr('lr', options.lr);
  const momentum = options.momentum ?? 0.1;
  checkMomentum('momentum', momentum);
  const scale = options.scale ?? 1;
  checkScale('scale', scale);
  checkBool('unconstrained', options.unconstrained);
  checkBool('light', options.light);
  if (options.schedule !== undefined && typeof options.schedule !== 'function') {
    fail('schedule must be a function (step) => factor, e.g. warmupCosine({ warmup, decaySteps })');
  }
  const nonFinite = options.nonFinite ?? 'throw';
  if (nonFinite !== 'throw' && nonFinite !== 'skip' && nonFinite !== 'ignore') {
    fail(`nonFinite must be "throw", "skip" or "ignore", got "${String(nonFinite)}"`);
  }
  if (options.groups !== undefined && options.norm !== undefined) {
    fail('give either "groups" or "norm", not both (set each group\'s norm instead)');
  }
  if (options.norm !== undefined && (options.norm === null || typeof options.norm.lmo !== 'function')) {
    throw new LmoError('UNKNOWN_NORM', '"norm" must be a Norm, e.g. spectral() or sign()');
  }
  const specs: readonly GroupSpec[] = options.groups ?? [{ name: 'default', norm: options.norm ?? auto() }];
  if (!Array.isArray(specs) || specs.length === 0) {
    throw new LmoError('GROUP_ROUTING', 'groups must be a non-empty array (omit it to put every parameter in one group)');
  }
  const groups = specs.map((spec, index): ResolvedGroup => {
    if (spec === null || typeof spec !== 'object') throw new LmoError('GROUP_ROUTING', `groups[${index}] must be an object, got ${String(spec)}`);
    const name = spec.name ?? `group${index}`;
    const where = `groups[${index}] (${name})`;
    if (typeof name !== 'string') fail(`groups[${index}].name must be a string, got ${String(name)}`);
    if (!spec.norm || typeof spec.norm.lmo !== 'function') {
      throw new LmoError('UNKNOWN_NORM', `${where}: "norm" must be a Norm, e.g. spectral() or sign()`);
    }
    if (spec.lr !== undefined) checkLr(`${where}.lr`, spec.lr);
    if (spec.momentum !== undefined) checkMomentum(`${where}.momentum`, spec.momentum);
    if (spec.scale !== undefined) checkScale(`${where}.scale`, spec.scale);
    checkBool(`${where}.unconstrained`, spec.unconstrained);
    return {
      index,
      name,
      norm: spec.norm,
      scale: spec.scale ?? scale,
      lr: spec.lr ?? options.lr,
      momentum: spec.momentum ?? momentum,
      unconstrained: spec.unconstrained ?? options.unconstrained ?? false,
    };
  });
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name)) throw new LmoError('GROUP_ROUTING', `two groups are named "${g.name}"; group names must be unique`);
    seen.add(g.name);
  }
  return { groups, specs, schedule: options.schedule, light: options.light ?? false, nonFinite };
}
