import {
  LmoError,
  constant,
  cosineDecay,
  linearDecay,
  linearWarmup,
  warmupCosine,
  warmupStableDecay,
  type Schedule,
} from '@lmo/core';

/**
 * A learning-rate schedule described by data, so that it is saved with the model
 * (`model.save(…, { includeOptimizer: true })`) and rebuilt on load. Each kind is the core schedule
 * of the same name; the factor multiplies the base lr at optimizer iteration `t` (0-based).
 * A plain function `(t) => factor` works too, but cannot be saved.
 */
export type ScheduleSpec =
  | { readonly kind: 'constant'; readonly value?: number }
  | { readonly kind: 'linearWarmup'; readonly steps: number }
  | { readonly kind: 'linearDecay'; readonly steps: number; readonly final?: number }
  | { readonly kind: 'cosineDecay'; readonly steps: number; readonly final?: number }
  | { readonly kind: 'warmupStableDecay'; readonly warmup: number; readonly total: number; readonly decay: number; readonly final?: number }
  | { readonly kind: 'warmupCosine'; readonly warmup: number; readonly decaySteps: number; readonly final?: number };

/** Builds the core schedule a {@link ScheduleSpec} describes. */
export function scheduleFromSpec(spec: ScheduleSpec): Schedule {
  switch (spec.kind) {
    case 'constant':
      return constant(spec.value);
    case 'linearWarmup':
      return linearWarmup(spec.steps);
    case 'linearDecay':
      return linearDecay(spec.steps, spec.final);
    case 'cosineDecay':
      return cosineDecay(spec.steps, spec.final);
    case 'warmupStableDecay':
      return warmupStableDecay(spec);
    case 'warmupCosine':
      return warmupCosine(spec);
    default:
      throw new LmoError('INVALID_HYPERPARAMETER', `unknown schedule kind "${String((spec as { kind?: unknown }).kind)}"`);
  }
}
