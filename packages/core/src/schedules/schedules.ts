/**
 * Learning-rate schedules. A {@link Schedule} maps the step index (0-based: the step being taken)
 * to a factor that multiplies the base learning rate γ. Any `(step) => number` works; the ones
 * made here also carry their {@link ScheduleSpec}, so they can be saved with an optimizer's
 * configuration and rebuilt by {@link scheduleFromJSON}.
 */
import { LmoError, shown } from '../errors.js';
import type { ScheduleSpec } from './spec.js';

/** A learning-rate factor per step; `spec` is present on the schedules built by this module. */
export type Schedule = ((step: number) => number) & { readonly spec?: ScheduleSpec };

function withSpec(f: (step: number) => number, spec: ScheduleSpec | undefined): Schedule {
  return spec === undefined ? f : Object.assign(f, { spec });
}

function requireCount(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `schedule option "${name}" must be a non-negative integer, got ${shown(value)}`);
  }
}
function requireFactor(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `schedule option "${name}" must be a finite number ≥ 0, got ${shown(value)}`);
  }
}

/** `f(t) = value` (default 1). */
export function constant(value = 1): Schedule {
  requireFactor('value', value);
  return withSpec(() => value, { kind: 'constant', value });
}

/**
 * Linear warmup over `steps` steps, then 1: `f(t) = (t + 1) / (steps + 1)` for `t < steps`
 * (nanoGPT's warmup, which never starts at exactly 0), else `1`.
 */
export function linearWarmup(steps: number): Schedule {
  requireCount('steps', steps);
  return withSpec((t) => (t < steps ? (t + 1) / (steps + 1) : 1), { kind: 'linearWarmup', steps });
}

/** Linear from 1 at `t = 0` to `final` at `t = steps`, then `final`. */
export function linearDecay(steps: number, final = 0): Schedule {
  requireCount('steps', steps);
  requireFactor('final', final);
  return withSpec((t) => (t >= steps ? final : 1 + (final - 1) * (t / steps)), { kind: 'linearDecay', steps, final });
}

/** Half-cosine from 1 at `t = 0` to `final` at `t = steps`, then `final`: `final + (1 − final)·½(1 + cos(π t/steps))`. */
export function cosineDecay(steps: number, final = 0): Schedule {
  requireCount('steps', steps);
  requireFactor('final', final);
  const f = (t: number): number => (t >= steps ? final : final + (1 - final) * 0.5 * (1 + Math.cos((Math.PI * t) / steps)));
  return withSpec(f, { kind: 'cosineDecay', steps, final });
}

/**
 * Runs schedules one after the other: `sequence([a, n], [b, m], c)` is `a(t)` for `t < n`,
 * `b(t − n)` for `n ≤ t < n + m`, then `c(t − n − m)`. The last entry may omit its length.
 */
export function sequence(...parts: ReadonlyArray<readonly [Schedule, number] | Schedule>): Schedule {
  if (parts.length === 0) throw new LmoError('INVALID_HYPERPARAMETER', 'sequence: give at least one schedule');
  const entries = parts.map((p, i) => {
    if (typeof p === 'function') {
      if (i !== parts.length - 1) throw new LmoError('INVALID_HYPERPARAMETER', 'sequence: only the last schedule may omit its length');
      return [p, Infinity] as const;
    }
    if (!Array.isArray(p) || typeof p[0] !== 'function') {
      throw new LmoError('INVALID_HYPERPARAMETER', `sequence: parts[${i}] must be a schedule or [schedule, steps]`);
    }
    requireCount(`parts[${i}] length`, p[1]);
    return p;
  });
  const f = (t: number): number => {
    let start = 0;
    for (const [s, n] of entries) {
      if (t < start + n) return s(t - start);
      start += n;
    }
    const [s, n] = entries[entries.length - 1]!;
    return s(n);
  };
  const specs = entries.map(([s]) => s.spec);
  const spec: ScheduleSpec | undefined = specs.every((s) => s !== undefined)
    ? { kind: 'sequence', parts: entries.map(([, n], i) => (Number.isFinite(n) ? { schedule: specs[i]!, steps: n } : { schedule: specs[i]! })) }
    : undefined;
  return withSpec(f, spec);
}

/** The pointwise product of schedules: `f(t) = a(t) · b(t) · …`. */
export function product(...schedules: Schedule[]): Schedule {
  schedules.forEach((s, i) => {
    if (typeof s !== 'function') throw new LmoError('INVALID_HYPERPARAMETER', `product: factor ${i} must be a schedule`);
  });
  const specs = schedules.map((s) => s.spec);
  const spec: ScheduleSpec | undefined = specs.every((s) => s !== undefined) ? { kind: 'product', factors: specs as ScheduleSpec[] } : undefined;
  return withSpec((t) => schedules.reduce((acc, s) => acc * s(t), 1), spec);
}

/**
 * Warmup–stable–decay: linear warmup over `warmup` steps, constant 1, then a linear decay to
 * `final` over the last `decay` of `total` steps. With `decay = total − warmup` it is a warmup
 * followed by a linear decay to `final` (default 0).
 */
export function warmupStableDecay(options: { warmup: number; total: number; decay: number; final?: number }): Schedule {
  const { warmup, total, decay, final = 0 } = options;
  requireCount('warmup', warmup);
  requireCount('total', total);
  requireCount('decay', decay);
  requireFactor('final', final);
  if (warmup + decay > total) {
    throw new LmoError('INVALID_HYPERPARAMETER', `warmupStableDecay: warmup (${warmup}) + decay (${decay}) must not exceed total (${total})`);
  }
  const s = sequence([linearWarmup(warmup), warmup], [constant(1), total - warmup - decay], linearDecay(decay, final));
  return withSpec(s, { kind: 'warmupStableDecay', warmup, total, decay, final });
}

/**
 * nanoGPT's schedule: linear warmup `(t + 1)/(warmup + 1)` for `t < warmup`, then a half cosine
 * from 1 down to `final` (0.1 in nanoGPT: lr/10) at `t = decaySteps`, then `final`.
 */
export function warmupCosine(options: { warmup: number; decaySteps: number; final?: number }): Schedule {
  const { warmup, decaySteps, final = 0.1 } = options;
  requireCount('warmup', warmup);
  requireCount('decaySteps', decaySteps);
  requireFactor('final', final);
  if (decaySteps < warmup) {
    throw new LmoError('INVALID_HYPERPARAMETER', `warmupCosine: decaySteps (${decaySteps}) must be ≥ warmup (${warmup})`);
  }
  const cosine = cosineDecay(decaySteps - warmup, final);
  return withSpec((t) => (t < warmup ? (t + 1) / (warmup + 1) : cosine(t - warmup)), { kind: 'warmupCosine', warmup, decaySteps, final });
}
