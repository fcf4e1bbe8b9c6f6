/**
 * The headline as the docs show it: a sentence, the table of every headline row and the mean val-loss
 * curves, with the commands that write the files. The Benchmarks page opens with it; the Tuning page
 * shows the same table. Pure.
 */
import { lineChartSvg, PALETTE, type Series } from '@lmo/bench-nanogpt/report/plot-svg';
import { lrChartLabel } from '@lmo/bench-nanogpt/report/transfer-report';
import { lrText } from './commands.js';
import { headlineName, withStorage, type HeadlineRow } from './headline.js';
import { storageOf, type Run } from './parse.js';

/** Rows the sentence compares the default with, and how it names them. */
const COMPARED: Readonly<Record<string, string>> = { scion: "the paper's Scion", adamw: "nanoGPT's AdamW" };

const pm = (r: HeadlineRow, digits = 4): string => `${r.mean.toFixed(digits)} ± ${r.sd.toFixed(digits)}`;
const byMean = (rows: readonly HeadlineRow[]): HeadlineRow[] => [...rows].sort((a, b) => a.mean - b.mean);

/** One sentence: the default's mean ± sd and how far below the paper's Scion and nanoGPT's AdamW it ends. */
export function headlineSentence(rows: readonly HeadlineRow[]): string {
  const best = rows.find((r) => r.isDefault) ?? byMean(rows)[0]!;
  const others = rows.filter((r) => r !== best && COMPARED[r.optimizer] !== undefined && rows.filter((o) => o.optimizer === r.optimizer).length === 1);
  const who = best.isDefault ? `\`${best.optimizer}\`, what \`pnpm nanogpt\` trains by default,` : `\`${headlineName(best, rows, lrText)}\``;
  const vs = others.map((o) => `${(o.mean - best.mean).toFixed(4)} ${o.mean >= best.mean ? 'below' : 'above'} ${COMPARED[o.optimizer]} (${pm(o)})`);
  return `${who} reaches **${pm(best)}**${vs.length > 0 ? `: ${vs.join(' and ')}` : ''}.`;
}

/** The markdown table of the rows, best mean first, with each mean's distance from AdamW's. */
export function headlineTable(rows: readonly HeadlineRow[]): string[] {
  const adamw = rows.find((r) => r.optimizer === 'adamw');
  const lines = [`| optimizer | lr | final val loss per seed | mean ± sd |${adamw ? ' Δ mean vs adamw |' : ''}`, `|---|---|---|---|${adamw ? '---|' : ''}`];
  for (const r of byMean(rows)) {
    const seeds = r.seeds.map((s, i) => `${s}: ${r.losses[i]!.toFixed(4)}`).join(', ');
    const vs = adamw ? ` ${r === adamw ? '–' : `${r.mean - adamw.mean > 0 ? '+' : '−'}${Math.abs(r.mean - adamw.mean).toFixed(4)}`} |` : '';
    lines.push(`| ${withStorage(r)}${r.isDefault ? ' (default)' : ''} | ${lrText(r.lr)} | ${seeds} | **${r.mean.toFixed(4)}** ± ${r.sd.toFixed(4)} |${vs}`);
  }
  return lines;
}

/** The plotted rows' mean val-loss curves (iteration 0, the same initial loss for all, left out). */
export function headlineSvg(rows: readonly HeadlineRow[], iters: number): string {
  const series: Series[] = byMean(rows.filter((r) => r.plotted)).map((r, i) => ({
    label: `${headlineName(r, rows, lrChartLabel)}${r.isDefault ? ' (default)' : ''}`,
    color: PALETTE[i % PALETTE.length]!,
    points: r.curve.filter(([iter]) => iter > 0),
  }));
  return lineChartSvg(series, { title: `Val loss along ${iters} iterations, mean of ${rows[0]?.seeds.length ?? 0} seeds`, xLabel: 'iteration', yLabel: 'val loss' });
}

/** The commands that write the rows' files (each once), folded away. */
export function headlineCommands(rows: readonly HeadlineRow[]): string[] {
  return ['::: details The commands that write these files', '', '```sh', ...new Set(rows.flatMap((r) => r.commands)), '```', '', ':::'];
}

/** Runs in the results that look like headline runs (same optimizer, lr, length) but are not: the page names them. */
export function otherRuns(rows: readonly HeadlineRow[], runs: readonly Run[], iters: number): Run[] {
  const files = new Set(rows.flatMap((r) => r.files));
  return runs.filter((run) => {
    const s = run.summary;
    return s.iters === iters && !files.has(run.file) && rows.some((r) => r.optimizer === s.optimizer && r.lr === s.lr && r.storage === storageOf(s));
  });
}
