import { sizeOf, type ParamSpec } from '../model/config.js';

/**
 * The record of a checkpoint that must hold together whatever its format: the step (optimizer
 * steps taken = batches drawn), the evaluations, whether it finished, the weights and the
 * optimizer's state.
 */
export interface CheckpointRecord {
  readonly iters: number;
  readonly step: number;
  readonly finished: boolean;
  readonly evals: ReadonlyArray<{ readonly iter: number; readonly train_loss: number; readonly val_loss: number; readonly lr: number }>;
  readonly weights: Readonly<Record<string, Float32Array>>;
  readonly optimizer_state: unknown;
}

/**
 * The optimizer steps a saved optimizer state has taken, where its format tells: core's state counts
 * `step` plus the `skippedSteps` it skipped (non-finite gradients), AdamW's `t`; `undefined` otherwise.
 */
export function optimizerSteps(state: unknown): number | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const s = state as { format?: unknown; step?: unknown; skippedSteps?: unknown; t?: unknown };
  if (s.format === 'lmo-optimizer-state' && typeof s.step === 'number') return s.step + (typeof s.skippedSteps === 'number' ? s.skippedSteps : 0);
  return typeof s.t === 'number' ? s.t : undefined;
}

/**
 * Why `c` cannot be a checkpoint of a model with parameters `specs` — in one phrase naming the
 * field or parameter — or `undefined` when it holds together: the step within `[0, iters]` and the
 * optimizer's own step count equal to it, `finished` only at the last step, evaluations in order, at
 * or before the step, with finite losses, and every parameter present once with its size and finite
 * values.
 */
export function inconsistency(c: CheckpointRecord, specs: readonly ParamSpec[]): string | undefined {
  if (!Number.isSafeInteger(c.iters) || c.iters < 0) return `its iters ${String(c.iters)} is not an integer ≥ 0`;
  if (!Number.isSafeInteger(c.step) || c.step < 0 || c.step > c.iters) return `its step ${String(c.step)} is not in [0, ${c.iters}]`;
  if (typeof c.finished !== 'boolean') return `its finished flag is ${String(c.finished)}, not true or false`;
  if (c.finished && c.step !== c.iters) return `it says finished at step ${c.step} of ${c.iters}`;
  const steps = optimizerSteps(c.optimizer_state);
  if (steps !== c.step) return `its optimizer state has taken ${String(steps)} steps, the checkpoint ${c.step}`;
  if (!Array.isArray(c.evals)) return 'its evaluations are not a list';
  let previous = -1;
  for (const [i, e] of c.evals.entries()) {
    const at = `evaluation ${i + 1}`;
    if (e === null || typeof e !== 'object') return `${at} is not a record`;
    if (!Number.isSafeInteger(e.iter) || e.iter <= previous || e.iter > c.step) return `${at} is at iteration ${String(e.iter)}, not after ${previous} and at most the step ${c.step}`;
    for (const key of ['train_loss', 'val_loss', 'lr'] as const) {
      if (typeof e[key] !== 'number' || !Number.isFinite(e[key])) return `${at} (iteration ${e.iter}) has ${key} ${String(e[key])}`;
    }
    previous = e.iter;
  }
  if (c.weights === null || typeof c.weights !== 'object') return 'it has no weights';
  const expected = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(c.weights)) if (!expected.has(name)) return `it has weights for ${name}, which this model does not have`;
  for (const spec of specs) {
    const w = c.weights[spec.name];
    const size = sizeOf(spec.shape);
    if (!(w instanceof Float32Array)) return `the weights of ${spec.name} are missing`;
    if (w.length !== size) return `the weights of ${spec.name} have ${w.length} values, the model's [${spec.shape.join(', ')}] needs ${size}`;
    const bad = w.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return `the weights of ${spec.name} hold ${w[bad]} at index ${bad}`;
  }
  return undefined;
}
