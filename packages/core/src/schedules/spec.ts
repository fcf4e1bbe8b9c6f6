import { LmoError, shown } from '../errors.js';
import { constant, cosineDecay, linearDecay, linearWarmup, product, sequence, warmupCosine, warmupStableDecay, type Schedule } from './schedules.js';

/**
 * A schedule as JSON data: each kind is the schedule function of the same name, with the same
 * options. Saved with an optimizer's configuration and rebuilt by {@link scheduleFromJSON}.
 */
export type ScheduleSpec =
  | { readonly kind: 'constant'; readonly value?: number }
  | { readonly kind: 'linearWarmup'; readonly steps: number }
  | { readonly kind: 'linearDecay'; readonly steps: number; readonly final?: number }
  | { readonly kind: 'cosineDecay'; readonly steps: number; readonly final?: number }
  | { readonly kind: 'warmupStableDecay'; readonly warmup: number; readonly total: number; readonly decay: number; readonly final?: number }
  | { readonly kind: 'warmupCosine'; readonly warmup: number; readonly decaySteps: number; readonly final?: number }
  | { readonly kind: 'sequence'; readonly parts: ReadonlyArray<{ readonly schedule: ScheduleSpec; readonly steps?: number }> }
  | { readonly kind: 'product'; readonly factors: readonly ScheduleSpec[] };

/**
 * The spec a schedule of this module carries.
 * @throws LmoError `INVALID_HYPERPARAMETER` for a plain function (it cannot be saved): build it
 *   from core's schedules, or give a {@link ScheduleSpec}.
 */
export function scheduleToJSON(schedule: Schedule): ScheduleSpec {
  if (typeof schedule !== 'function') throw new LmoError('INVALID_HYPERPARAMETER', `expected a schedule, got ${shown(schedule)}`);
  if (schedule.spec === undefined) {
    throw new LmoError(
      'INVALID_HYPERPARAMETER',
      'this schedule is a plain function and cannot be saved; build it from core\'s schedules (warmupCosine, sequence, …) or give a ScheduleSpec',
    );
  }
  return schedule.spec;
}

/**
 * Builds the schedule a {@link ScheduleSpec} describes (the inverse of {@link scheduleToJSON}).
 * @throws LmoError `INVALID_HYPERPARAMETER` for an unknown kind or invalid options.
 */
export function scheduleFromJSON(spec: ScheduleSpec): Schedule {
  const s = spec as ScheduleSpec | null | undefined;
  if (s === null || typeof s !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', `a schedule spec must be an object, got ${shown(s)}`);
  switch (s.kind) {
    case 'constant':
      return constant(s.value);
    case 'linearWarmup':
      return linearWarmup(s.steps);
    case 'linearDecay':
      return linearDecay(s.steps, s.final);
    case 'cosineDecay':
      return cosineDecay(s.steps, s.final);
    case 'warmupStableDecay':
      return warmupStableDecay(s);
    case 'warmupCosine':
      return warmupCosine(s);
    case 'sequence': {
      if (!Array.isArray(s.parts)) throw new LmoError('INVALID_HYPERPARAMETER', 'schedule spec "sequence": "parts" must be an array');
      const parts = s.parts.map((p) => (p.steps === undefined ? scheduleFromJSON(p.schedule) : ([scheduleFromJSON(p.schedule), p.steps] as const)));
      return sequence(...parts);
    }
    case 'product':
      if (!Array.isArray(s.factors)) throw new LmoError('INVALID_HYPERPARAMETER', 'schedule spec "product": "factors" must be an array');
      return product(...s.factors.map(scheduleFromJSON));
    default:
      throw new LmoError('INVALID_HYPERPARAMETER', `unknown schedule kind ${JSON.stringify((s as { kind?: unknown }).kind)}`);
  }
}
