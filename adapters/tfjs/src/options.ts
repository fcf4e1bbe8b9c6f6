import { LmoError, scheduleFromJSON, type GroupSpec, type OptimizerOptions, type Schedule, type ScheduleSpec } from '@lmo/core';
import type { Layout } from './layout.js';

/**
 * A parameter group of the tfjs optimizer: core's `GroupSpec` (which variables, which norm,
 * radius ρ, lr, momentum, uSCG) plus the storage {@link Layout} of its variables.
 *
 * `match` is tested against the variable's name (`model.trainableWeights[i].name`, e.g.
 * `dense_Dense1/kernel`) and against its canonical name (without tfjs's `_<n>` uniquifying suffix),
 * so `'*' + '/kernel'` matches `dense_Dense1/kernel_1` too.
 */
export interface TfjsGroupSpec extends GroupSpec {
  /** How the variables of this group store their axes. Default: the optimizer's `layout`. */
  readonly layout?: Layout;
}

/** Options of `ScionOptimizer` (and of the factories in `train`): core's options, tfjs's layouts. */
export interface ScionOptimizerOptions extends Omit<OptimizerOptions, 'groups' | 'schedule'> {
  /**
   * Multiplies γ at optimizer iteration `t` (0-based, `optimizer.iterations`). Core's schedules
   * (`warmupCosine(…)`, …) and {@link ScheduleSpec} data are saved with the model; a plain
   * function works but cannot be saved.
   */
  readonly schedule?: Schedule | ScheduleSpec;
  /** Parameter groups, tried against each variable's name the first time the optimizer sees it. */
  readonly groups?: readonly TfjsGroupSpec[];
  /** The storage layout for groups that do not set one. Default `'auto'` (see {@link Layout}). */
  readonly layout?: Layout;
}

/** The options as core's optimizer takes them: the schedule as a function, no layouts. */
export function coreOptions(options: ScionOptimizerOptions): OptimizerOptions {
  const { schedule, layout: _layout, groups, ...rest } = options;
  void _layout;
  const resolved = schedule === undefined || typeof schedule === 'function' ? schedule : scheduleFromJSON(schedule);
  const coreGroups = groups?.map((g, i): GroupSpec => {
    if (g === null || typeof g !== 'object') return g;
    if (g.adamw !== undefined) {
      throw new LmoError('INVALID_HYPERPARAMETER', `groups[${i}]: ScionOptimizer has no AdamW groups (its saved weights hold one buffer per variable); train those variables with tf.train.adam, or use @lmo/core's adamw on createTfjsBackend()`);
    }
    const { layout: _groupLayout, ...spec } = g;
    void _groupLayout;
    return spec;
  });
  return { ...rest, ...(resolved !== undefined ? { schedule: resolved } : {}), ...(coreGroups !== undefined ? { groups: coreGroups } : {}) };
}
