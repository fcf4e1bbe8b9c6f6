import { writeJsonLines, type SummaryRecord } from '../report/jsonl.js';
import { lineChartSvg, PALETTE, type Series } from '../report/plot-svg.js';
import type { EvalRecord } from '@lmo/gpt';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@lmo/core/node';
import type { RunPaths } from './run-dir.js';

type Line = (EvalRecord & { optimizer: string }) | SummaryRecord;

/**
 * A run's JSON lines, loss plot and sample. Every write replaces the whole file atomically, so a
 * file is always complete (never a torn last line), and a resumed run rewrites what it continues.
 */
export class RunOutputs {
  private readonly lines: Line[] = [];

  constructor(
    readonly paths: RunPaths,
    private readonly title: string,
    private readonly optimizers: readonly string[],
  ) {}

  addEval(optimizer: string, record: EvalRecord): void {
    this.lines.push({ ...record, optimizer });
  }

  addSummary(summary: SummaryRecord): void {
    this.lines.push(summary);
  }

  /** The JSON lines and the plot as they stand (after every evaluation, at a stop, at the end). */
  flush(): void {
    writeJsonLines(this.paths.metrics, this.lines);
    mkdirSync(dirname(this.paths.plot), { recursive: true });
    const series: Series[] = this.optimizers.flatMap((name, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const evals = this.lines.filter((l): l is EvalRecord & { optimizer: string } => !('summary' in l) && l.optimizer === name);
      return [
        { label: `${name} val`, color, points: evals.map((e) => [e.iter, e.val_loss] as const) },
        { label: `${name} train`, color, dashed: true, points: evals.map((e) => [e.iter, e.train_loss] as const) },
      ];
    });
    writeFileAtomic(this.paths.plot, lineChartSvg(series, { title: this.title, xLabel: 'iteration', yLabel: 'loss (mean cross-entropy)' }));
  }

  writeSample(text: string): void {
    mkdirSync(dirname(this.paths.sample), { recursive: true });
    writeFileAtomic(this.paths.sample, `${text}\n`);
  }
}
