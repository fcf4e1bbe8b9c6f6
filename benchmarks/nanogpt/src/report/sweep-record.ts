/** What every sweep's JSON-lines record shares: its kind, the backend, counts, and a final val loss (null when the run diverged). */

/** The fields of one training run that every sweep's record holds (the kind and what was swept are each sweep's own). */
export interface SweepRecordFields {
  readonly seed: number;
  readonly iters: number;
  readonly eval_iters: number;
  readonly batch_size: number;
  readonly n_layer: number;
  readonly n_head: number;
  readonly width: number;
  readonly block_size: number;
  /** Val loss at the last iteration; NaN (written as null) when the run diverged. */
  readonly final_val_loss: number | null;
  readonly best_val_loss: number | null;
  readonly seconds: number;
  readonly backend: string;
  readonly ort_threads?: number;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A finite number, or null (a diverged run's loss). */
export const lossOrNull = (v: unknown): boolean => v === null || num(v);

/**
 * The fields of `v` as a record of `kind` when it is an object of that kind with a string `backend`,
 * finite numbers at every key of `numeric`, and a final val loss that is a number or null; else undefined.
 */
export function sweepRecordFields(v: unknown, kind: string, numeric: readonly string[]): Record<string, unknown> | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  const ok = r.kind === kind && typeof r.backend === 'string' && numeric.every((k) => num(r[k])) && lossOrNull(r.final_val_loss);
  return ok ? r : undefined;
}

/** The final val loss, NaN for a diverged run. */
export function lossOf(r: { readonly final_val_loss: number | null }): number {
  return r.final_val_loss ?? Number.NaN;
}
