/**
 * Learning-rate schedules. A {@link Schedule} maps the step index (0-based: the step being taken)
 * to a factor that multiplies the base learning rate γ. Schedules are plain functions, so any
 * `(step) => number` works; these cover the usual shapes and compose with {@link sequence} and
 * {@link product}.
 */
export type Schedule = (step: number) => number;

import { LmoError } from '../errors.js';

function requireCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `schedule option "${name}" must be a non-negative integer, got ${value}`);
  }
}
function requireFactor(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new LmoError('INVALID_HYPERPARAMETER', `schedule option "${name}" must be a finite number ≥ 0, got ${value}`);
  }
}

/** `f(t) = value` (default 1). */
export function constant(value = 1): Schedule {
  requireFactor('value', value);
  return () => value;
}

/**
 * Linear warmup over `steps` steps, then 1: `f(t) = (t + 1) / (steps + 1)` for `t < steps`
 * (nanoGPT's warmup, which never starts at exactly 0), else `1`.
 */
export function linearWarmup(steps: number): Schedule {
  requireCount('steps', steps);
  return (t) => (t < steps ? (t + 1) / (steps + 1) : 1);
}

/** Linear from 1 at `t = 0` to `final` at `t = steps`, then `final`. */
export function linearDecay(steps: number, final = 0): Schedule {
  requireCount('steps', steps);
  requireFactor('final', final);
  return (t) => (t >= steps ? final : 1 + (final - 1) * (t / steps));
}

/** Half-cosine from 1 at `t = 0` to `final` at `t = steps`, then `final`: `final + (1 − final)·½(1 + cos(π t/steps))`. */
export function cosineDecay(steps: number, final = 0): Schedule {
  requireCount('steps', steps);
  requireFactor('final', final);
  return (t) => (t >= steps ? final : final + (1 - final) * 0.5 * (1 + Math.cos((Math.PI * t) / steps)));
}

/**
 * Runs schedules one after the other: `sequence([a, n], [b, m], c)` is `a(t)` for `t < n`,
 * `b(t − n)` for `n ≤ t < n + m`, then `c(t − n − m)`. The last entry may omit its length.
 */
export function sequence(...parts: ReadonlyArray<readonly [Schedule, number] | Schedule>): Schedule {
  const entries = parts.map((p, i) => {
    if (typeof p === 'function') {
      if (i !== parts.length - 1) throw new LmoError('INVALID_HYPERPARAMETER', 'sequence: only the last schedule may omit its length');
      return [p, Infinity] as const;
    }
    requireCount(`parts[${i}] length`, p[1]);
    return p;
  });
  if (entries.length === 0) throw new LmoError('INVALID_HYPERPARAMETER', 'sequence: give at least one schedule');
  return (t) => {
    let start = 0;
    for (const [f, n] of entries) {
      if (t < start + n) return f(t - start);
      start += n;
    }
    const [f, n] = entries[entries.length - 1]!;
    return f(n);
  };
}

/** The pointwise product of schedules: `f(t) = a(t) · b(t) · …`. */
export function product(...schedules: Schedule[]): Schedule {
  return (t) => schedules.reduce((acc, f) => acc * f(t), 1);
}

/**
 * Warmup–stable–decay: linear warmup over `warmup` steps, constant 1, then a linear decay to
 * `final` over the last `decay` of `total` steps.
 */
export function warmupStableDecay(options: { warmup: number; total: number; decay: number; final?: number }): Schedule {
  const { warmup, total, decay, final = 0 } = options;
  requireCount('warmup', warmup);
  requireCount('total', total);
  requireCount('decay', decay);
  if (warmup + decay > total) {
    throw new LmoError('INVALID_HYPERPARAMETER', `warmupStableDecay: warmup (${warmup}) + decay (${decay}) must not exceed total (${total})`);
  }
  return sequence([linearWarmup(warmup), warmup], [constant(1), total - warmup - decay], linearDecay(decay, final));
}

/**
 * nanoGPT's schedule: linear warmup `(t + 1)/(warmup + 1)` for `t < warmup`, then a half cosine
 * from 1 down to `final` (0.1 in nanoGPT: lr/10) at `t = decaySteps`, then `final`.
 */
export function warmupCosine(options: { warmup: number; decaySteps: number; final?: number }): Schedule {
  const { warmup, decaySteps, final = 0.1 } = options;
  requireCount('warmup', warmup);
  requireCount('decaySteps', decaySteps);
  if (decaySteps < warmup) {
    throw new LmoError('INVALID_HYPERPARAMETER', `warmupCosine: decaySteps (${decaySteps}) must be ≥ warmup (${warmup})`);
  }
  const cosine = cosineDecay(decaySteps - warmup, final);
  return (t) => (t < warmup ? (t + 1) / (warmup + 1) : cosine(t - warmup));
}
