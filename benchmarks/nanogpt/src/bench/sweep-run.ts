import { type GptModel, disposeOutcome, type RunOutcome, type TrainSettings } from '@lmo/gpt';
import type { SweepRecordFields } from '../report/sweep-record.js';

/** One evaluation of a sweep run's curve, losses rounded to 4 decimals. */
export interface SweepEval {
  readonly iter: number;
  readonly val_loss: number;
  readonly train_loss: number;
}

/** What a sweep records of one training run. */
export interface SweepRunResult {
  /** Final and best val loss; NaN (written as null) when the run diverged. */
  readonly final: number;
  readonly best: number;
  /** Every evaluation (empty when the run diverged). */
  readonly evals: readonly SweepEval[];
  /** The fields every sweep record ends with: wall seconds, the backend, onnxruntime's thread count when set. */
  readonly meta: { readonly seconds: number; readonly backend: string; readonly ort_threads?: number };
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/**
 * Runs `train` (a {@link trainWith} or {@link trainBuilt} call on `model`), frees what it returns,
 * and reports it. A diverged run is a result of the sweep, not a failure of it; other errors throw.
 */
export async function sweepRun<T>(
  model: GptModel<T>,
  train: () => Promise<Pick<RunOutcome<T>, 'result' | 'training'>>,
): Promise<SweepRunResult> {
  const started = performance.now();
  let final = Number.NaN;
  let best = Number.NaN;
  let evals: SweepEval[] = [];
  try {
    const out = await train();
    await disposeOutcome(out);
    final = out.result.finalValLoss;
    best = out.result.bestValLoss;
    evals = out.result.evals.map((e) => ({ iter: e.iter, val_loss: round4(e.val_loss), train_loss: round4(e.train_loss) }));
  } catch (e) {
    if (!/diverged/.test((e as Error).message)) throw e;
  }
  const threads = Number(process.env['NANOGPT_ORT_THREADS']);
  return {
    final,
    best,
    evals,
    meta: {
      seconds: Math.round((performance.now() - started) / 100) / 10,
      backend: model.name,
      ...(model.name === 'onnxruntime' && Number.isInteger(threads) && threads > 0 ? { ort_threads: threads } : {}),
    },
  };
}

/** The fields of a sweep record of `run`, a run of `model` with `settings`. */
export function sweepRecord(model: GptModel<unknown>, settings: TrainSettings, run: SweepRunResult): SweepRecordFields {
  const { nLayer, nHead, nEmbd, blockSize } = model.config;
  const { seed, iters, evalIters, batchSize } = settings;
  return { seed, iters, eval_iters: evalIters, batch_size: batchSize, n_layer: nLayer, n_head: nHead, width: nEmbd, block_size: blockSize, final_val_loss: run.final, best_val_loss: run.best, ...run.meta };
}
