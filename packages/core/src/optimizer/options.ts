import { LmoError, shown } from '../errors.js';
import { auto } from '../norms/auto.js';
import type { Norm } from '../norms/norm.js';
import type { Schedule } from '../schedules/schedules.js';
import { checkKeys, fail } from './checks.js';
import type { GroupSpec } from './groups.js';

/** What to do with a gradient that holds NaN or ±Inf. */
export type NonFinitePolicy =
  /** Throw a `NON_FINITE_GRADIENT` error; nothing is written (default). */
  | 'throw'
  /** Skip the step: parameters, state and step count stay as they were; `skippedSteps` grows. */
  | 'skip'
  /** Do not check (saves the check per step); NaN then flows into the parameters. */
  | 'ignore';

/**
 * AdamW's settings for a group (`GroupSpec.adamw`) or for {@link adamw}: nanoGPT's AdamW
 * (Loshchilov & Hutter 2019), per parameter at step `t` (from 1), with gradient `g`:
 *
 * ```
 * m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
 * x ← (1 − γλ)·x − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)      (λ only on matrices: rank ≥ 2)
 * ```
 */
export interface AdamWSettings {
  /** `[β₁, β₂]`, each in [0, 1). Default `[0.9, 0.99]` (nanoGPT's; PyTorch's β₂ is 0.999). */
  readonly betas?: readonly [number, number];
  /** ε (finite, > 0). Default `1e-8`. */
  readonly eps?: number;
  /**
   * Decoupled weight decay λ (finite, ≥ 0), applied to the group's parameters of rank ≥ 2 (matrices,
   * kernels, embeddings) only, as nanoGPT does; biases and gains are never decayed. Default `0.1`.
   */
  readonly weightDecay?: number;
}

/** Options of an optimizer: `createOptimizer`, the presets, and `adamw` through its own options. */
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
  /**
   * Global gradient-norm clipping of the AdamW groups (PyTorch's `clip_grad_norm_`): their
   * gradients are scaled by `min(1, clip/(‖g‖ + 10⁻⁶))`, `‖g‖` taken over all of them together.
   * Finite, > 0; default: no clipping (`adamw()` clips at 1).
   */
  readonly clip?: number;
}

/** A group with every hyperparameter settled. */
export interface ResolvedGroup {
  /** Its position in the options' `groups`. */
  readonly index: number;
  readonly name: string;
  /** Base learning rate γ (before the schedule). */
  readonly lr: number;
  /** The LMO of an LMO group; `undefined` for an AdamW group. */
  readonly norm: Norm | undefined;
  /** Radius ρ (LMO groups). */
  readonly scale: number;
  /** Momentum α (LMO groups). */
  readonly momentum: number;
  readonly unconstrained: boolean;
  /** AdamW's settings, for an AdamW group. */
  readonly adamw: Required<AdamWSettings> | undefined;
}

/** The options, validated, with defaults filled in. */
export interface ResolvedOptions {
  readonly groups: readonly ResolvedGroup[];
  /** The group specs (the given ones, or the single default group). */
  readonly specs: readonly GroupSpec[];
  readonly schedule: Schedule | undefined;
  readonly light: boolean;
  readonly nonFinite: NonFinitePolicy;
  /** The clipping threshold of the AdamW groups, if any. */
  readonly clip: number | undefined;
}

/** The option names of {@link OptimizerOptions}, and of a group. */
const OPTION_KEYS = ['lr', 'schedule', 'momentum', 'scale', 'unconstrained', 'light', 'groups', 'norm', 'nonFinite', 'clip'] as const;
const GROUP_KEYS = ['name', 'match', 'norm', 'adamw', 'scale', 'lr', 'momentum', 'unconstrained'] as const;
const ADAMW_KEYS = ['betas', 'eps', 'weightDecay'] as const;
/** Options of an LMO group that an AdamW group does not take. */
const LMO_ONLY = ['norm', 'scale', 'momentum', 'unconstrained'] as const;

/** A learning rate must be a finite number ≥ 0. */
export function checkLr(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${name} must be a finite number ≥ 0, got ${shown(value)}`);
}

/** Momentum α (the reference's `momentum`, 1 − β) must lie in (0, 1]. */
export function checkMomentum(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    fail(`${name} must be in (0, 1] (it is 1 − β: 0.1 means β = 0.9; 1 keeps no buffer), got ${shown(value)}`);
  }
}

/** A radius ρ must be a finite number > 0. */
export function checkScale(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${name} must be a finite number > 0, got ${shown(value)}`);
}

function checkBool(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') fail(`${name} must be a boolean, got ${shown(value)}`);
}

/** AdamW's settings, validated, with nanoGPT's defaults. */
export function resolveAdamW(settings: AdamWSettings, where: string): Required<AdamWSettings> {
  if (settings === null || typeof settings !== 'object') fail(`${where} must be an object of AdamW settings ({} for the defaults), got ${shown(settings)}`);
  checkKeys(settings, ADAMW_KEYS, where, 'adamw');
  const betas = settings.betas ?? [0.9, 0.99];
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
    fail(`${where}.betas must be two numbers in [0, 1), e.g. [0.9, 0.99], got ${JSON.stringify(betas)}`);
  }
  const eps = settings.eps ?? 1e-8;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) fail(`${where}.eps must be a finite number > 0, got ${shown(eps)}`);
  const weightDecay = settings.weightDecay ?? 0.1;
  checkLr(`${where}.weightDecay`, weightDecay);
  return { betas: [betas[0], betas[1]], eps, weightDecay };
}

function resolveGroup(spec: GroupSpec, index: number, defaults: { lr: number; scale: number; momentum: number; unconstrained: boolean }): ResolvedGroup {
  if (spec === null || typeof spec !== 'object') throw new LmoError('GROUP_ROUTING', `groups[${index}] must be an object, got ${shown(spec)}`);
  const name = spec.name ?? `group${index}`;
  if (typeof name !== 'string') fail(`groups[${index}].name must be a string, got ${shown(name)}`);
  const where = `groups[${index}] (${name})`;
  checkKeys(spec, GROUP_KEYS, where, 'group');
  if (spec.lr !== undefined) checkLr(`${where}.lr`, spec.lr);
  const lr = spec.lr ?? defaults.lr;
  if (spec.adamw !== undefined) {
    const extra = LMO_ONLY.find((k) => spec[k] !== undefined);
    if (extra !== undefined) fail(`${where} is an AdamW group ("adamw"), which takes no "${extra}" (that is an LMO group's)`);
    const adamw = resolveAdamW(spec.adamw, `${where}.adamw`);
    return { index, name, lr, norm: undefined, scale: 1, momentum: 1, unconstrained: true, adamw };
  }
  if (!spec.norm || typeof spec.norm.lmo !== 'function') {
    throw new LmoError('UNKNOWN_NORM', `${where}: "norm" must be a Norm, e.g. spectral() or sign() (or give "adamw" for an AdamW group)`);
  }
  if (spec.momentum !== undefined) checkMomentum(`${where}.momentum`, spec.momentum);
  if (spec.scale !== undefined) checkScale(`${where}.scale`, spec.scale);
  checkBool(`${where}.unconstrained`, spec.unconstrained);
  return {
    index,
    name,
    lr,
    norm: spec.norm,
    scale: spec.scale ?? defaults.scale,
    momentum: spec.momentum ?? defaults.momentum,
    unconstrained: spec.unconstrained ?? defaults.unconstrained,
    adamw: undefined,
  };
}

/**
 * Validates every option (throwing an `LmoError` that names the first bad one, unknown ones
 * included) and fills in defaults.
 */
export function resolveOptions(options: OptimizerOptions, extraKeys: readonly string[] = []): ResolvedOptions {
  if (options === null || typeof options !== 'object') fail('options must be an object with at least { lr }');
  checkKeys(options, [...OPTION_KEYS, ...extraKeys], 'options', 'optimizer');
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
    fail(`nonFinite must be "throw", "skip" or "ignore", got "${shown(nonFinite)}"`);
  }
  if (options.clip !== undefined && (typeof options.clip !== 'number' || !Number.isFinite(options.clip) || options.clip <= 0)) {
    fail(`clip must be a finite number > 0 (the largest global gradient norm of the AdamW groups), got ${shown(options.clip)}`);
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
  const defaults = { lr: options.lr, scale, momentum, unconstrained: options.unconstrained ?? false };
  const groups = specs.map((spec, index) => resolveGroup(spec, index, defaults));
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name)) throw new LmoError('GROUP_ROUTING', `two groups are named "${g.name}"; group names must be unique`);
    seen.add(g.name);
  }
  const light = options.light ?? false;
  const adamwGroup = groups.find((g) => g.adamw !== undefined);
  if (light && adamwGroup !== undefined) fail(`ScionLight (light: true) has no AdamW groups; group "${adamwGroup.name}" is one`);
  return { groups, specs, schedule: options.schedule, light, nonFinite, clip: options.clip };
}
