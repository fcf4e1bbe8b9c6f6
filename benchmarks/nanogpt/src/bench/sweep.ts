import { type GptModel, type CharDataset, type OptimizerName, disposeOutcome, trainWith } from '@lmo/gpt';

export interface SweepSettings {
  readonly optimizers: readonly OptimizerName[];
  readonly lrs: readonly number[];
  readonly seeds: readonly number[];
  readonly iters: number;
  readonly batchSize: number;
  readonly evalIters: number;
}

export interface SweepRow {
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly final_val_loss: number;
  readonly best_val_loss: number;
  readonly seconds: number;
}

/**
 * A learning-rate sweep: every optimizer × lr × seed, each a full run of `iters` iterations with
 * nanoGPT's schedule, evaluated at the end. Long: `iters` and the grids are flags.
 */
export async function sweepBench<T>(
  model: GptModel<T>,
  data: CharDataset,
  s: SweepSettings,
  onRow: (row: SweepRow) => void,
): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const optimizer of s.optimizers) {
    for (const lr of s.lrs) {
      for (const seed of s.seeds) {
        let row: SweepRow;
        try {
          const out = await trainWith(model, data, optimizer, lr, {
            iters: s.iters,
            batchSize: s.batchSize,
            evalEvery: s.iters,
            evalIters: s.evalIters,
            seed,
          });
          await disposeOutcome(out);
          row = {
            optimizer,
            lr,
            seed,
            final_val_loss: out.result.finalValLoss,
            best_val_loss: out.result.bestValLoss,
            seconds: out.result.trainSeconds,
          };
        } catch (e) {
          // A diverged run is a result of the sweep, not a failure of it.
          row = { optimizer, lr, seed, final_val_loss: Number.NaN, best_val_loss: Number.NaN, seconds: 0 };
          if (!/diverged/.test((e as Error).message)) throw e;
        }
        rows.push(row);
        onRow(row);
      }
    }
  }
  return rows;
}

/** Mean ± sample standard deviation of the final val loss per (optimizer, lr). */
export function sweepTable(rows: readonly SweepRow[]): string {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const k = `${r.optimizer}\t${r.lr}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const lines = ['| optimizer | lr | seeds | final val loss (mean ± sd) |', '|---|---|---|---|'];
  for (const [k, rs] of groups) {
    const [opt, lr] = k.split('\t');
    const v = rs.map((r) => r.final_val_loss);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
    lines.push(`| ${opt} | ${Number(lr).toExponential(3)} | ${v.length} | ${Number.isFinite(mean) ? `${mean.toFixed(4)} ± ${sd.toFixed(4)}` : 'diverged'} |`);
  }
  return lines.join('\n');
}
