import { type GptModel, type CharDataset, type OptimizerName, trainWith } from '@lmo/gpt';
import { meanSd } from '../report/transfer-report.js';
import { sweepRun } from './sweep-run.js';

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
        const settings = { iters: s.iters, batchSize: s.batchSize, evalEvery: s.iters, evalIters: s.evalIters, seed };
        const run = await sweepRun(model, () => trainWith(model, data, optimizer, lr, settings));
        // A diverged run is a result of the sweep (NaN losses), not a failure of it.
        const row = { optimizer, lr, seed, final_val_loss: run.final, best_val_loss: run.best, seconds: Number.isNaN(run.final) ? 0 : run.meta.seconds };
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
    const { mean, sd } = meanSd(v);
    lines.push(`| ${opt} | ${Number(lr).toExponential(3)} | ${v.length} | ${Number.isFinite(mean) ? `${mean.toFixed(4)} ± ${sd.toFixed(4)}` : 'diverged'} |`);
  }
  return lines.join('\n');
}
