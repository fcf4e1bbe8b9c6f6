import { sizeOf, type GPTConfig, type ParamSpec } from '@lmo/gpt';
import type { Checkpoint } from './checkpoint.js';

/**
 * The optimizer steps a saved optimizer state (core's) has taken: its `step` plus the `skippedSteps`
 * it skipped (non-finite gradients); `undefined` for a state of another format.
 */
export function optimizerSteps(state: unknown): number | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const s = state as { format?: unknown; step?: unknown; skippedSteps?: unknown };
  if (s.format !== 'lmo-optimizer-state' || typeof s.step !== 'number') return undefined;
  return s.step + (typeof s.skippedSteps === 'number' ? s.skippedSteps : 0);
}

/** Why the fields that say what `c` was trained under (and its step) are not what a checkpoint holds; `undefined` when they are. */
export function fieldProblem(c: Checkpoint): string | undefined {
  for (const key of ['optimizer', 'backend'] as const) if (typeof c[key] !== 'string') return `its ${key} is ${String(c[key])}, not a name`;
  if (typeof c.lr !== 'number' || !(c.lr > 0) || !Number.isFinite(c.lr)) return `its lr ${String(c.lr)} is not a number > 0`;
  for (const key of ['seed', 'batch_size', 'iters', 'step', 'eval_every', 'eval_iters'] as const) {
    if (!Number.isSafeInteger(c[key]) || c[key] < 0) return `its ${key} ${String(c[key])} is not an integer ≥ 0`;
  }
  if (typeof c.data?.sha256 !== 'string') return 'it does not record the corpus it was trained on';
  const config = c.config as Partial<Record<keyof GPTConfig, unknown>> | null;
  for (const key of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (config === null || typeof config !== 'object' || !Number.isSafeInteger(config[key]) || (config[key] as number) < 1) return `its config.${key} is not an integer ≥ 1`;
  }
  return undefined;
}

/**
 * Why `c` cannot be a checkpoint of a model with parameters `specs` — in one phrase naming the
 * field or parameter — or `undefined` when it holds together: its fields ({@link fieldProblem}),
 * the step within `[0, iters]` and the optimizer's own step count equal to it, `finished` only at
 * the last step, evaluations in order, at or before the step, with finite losses, and every
 * parameter present once with its size and finite values.
 */
export function inconsistency(c: Checkpoint, specs: readonly ParamSpec[]): string | undefined {
  const field = fieldProblem(c);
  if (field !== undefined) return field;
  if (c.step > c.iters) return `its step ${c.step} is not in [0, ${c.iters}]`;
  if (typeof c.finished !== 'boolean') return `its finished flag is ${String(c.finished)}, not true or false`;
  if (c.finished && c.step !== c.iters) return `it says finished at step ${c.step} of ${c.iters}`;
  const steps = optimizerSteps(c.optimizer_state);
  if (steps === undefined) return 'its optimizer state has no step count (it is not a state this benchmark saves)';
  if (steps !== c.step) return `its optimizer state has taken ${steps} steps, the checkpoint ${c.step}`;
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
  }
  const bad = nonFinite(c.weights);
  return bad && `the weights of ${bad.name} hold ${bad.value} at index ${bad.index}`;
}

/** The first weight that is not finite (NaN, ±Infinity), if any. */
export function nonFinite(weights: Readonly<Record<string, Float32Array>>): { name: string; index: number; value: number } | undefined {
  for (const [name, w] of Object.entries(weights)) {
    const index = w.findIndex((v) => !Number.isFinite(v));
    if (index >= 0) return { name, index, value: w[index]! };
  }
  return undefined;
}
