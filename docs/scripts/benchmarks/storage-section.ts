/**
 * The 16-bit storage check of the Benchmarks page: each headline row stored in 16 bits against the
 * float32 row of the same optimizer and lr — final val loss over the seeds, the difference of the
 * means, ms per iteration — with the mean val-loss curves, and the single runs of other storages at
 * the same optimizer, lr and length drawn beside them. Pure.
 */
import { lineChartSvg, PALETTE, type Series } from '@lmo/bench-nanogpt/report/plot-svg';
import { lrText } from './commands.js';
import { withStorage, type HeadlineRow } from './headline.js';
import { storageOf, type Run } from './parse.js';

const msPerIter = (runs: readonly Run[]): number => runs.reduce((a, r) => a + r.summary.ms_fwd_bwd + r.summary.ms_optimizer, 0) / runs.length;

/** The section (empty without a 16-bit headline row), and its plot by file name. */
export function storageSection(rows: readonly HeadlineRow[], runs: readonly Run[], iters: number): { markdown: string[]; svgs: Map<string, string> } {
  const svgs = new Map<string, string>();
  const pairs = rows.flatMap((half) => {
    const full = rows.find((r) => r.storage === 'float32' && r.optimizer === half.optimizer && r.lr === half.lr);
    return half.storage !== 'float32' && full !== undefined ? [[full, half] as const] : [];
  });
  if (pairs.length === 0) return { markdown: [], svgs };
  const md = ['## 16-bit storage', ''];
  md.push(
    `The same runs with the weights and the optimizer's buffers stored in 16 bits (\`pnpm nanogpt --dtype … --compensation …\`; the arithmetic stays float32, see [16-bit storage](/concepts/16-bit-storage)), against float32: final val loss after ${iters} iterations per seed, mean ± sd, and the difference of the means. ms/iter is forward+backward plus the optimizer step, averaged over the seeds; the runs shared a loaded machine, so it is a rough comparison.`,
    '',
  );
  md.push('| optimizer (storage) | lr | final val loss per seed | mean ± sd | Δ mean vs float32 | ms/iter |', '|---|---|---|---|---|---|');
  const ofRow = (r: HeadlineRow): Run[] => runs.filter((x) => r.files.includes(x.file) && x.summary.optimizer === r.optimizer);
  for (const [full, half] of pairs) {
    for (const r of [full, half]) {
      const seeds = r.seeds.map((s, i) => `${s}: ${r.losses[i]!.toFixed(4)}`).join(', ');
      const delta = r === full ? '–' : `${r.mean - full.mean >= 0 ? '+' : '−'}${Math.abs(r.mean - full.mean).toFixed(4)}`;
      md.push(`| ${withStorage(r)} | ${lrText(r.lr)} | ${seeds} | **${r.mean.toFixed(4)}** ± ${r.sd.toFixed(4)} | ${delta} | ${msPerIter(ofRow(r)).toFixed(1)} |`);
    }
  }
  md.push('');
  const files = new Set(rows.flatMap((r) => r.files));
  const singles = runs.filter((x) => !files.has(x.file) && x.summary.iters === iters && pairs.some(([full]) => full.optimizer === x.summary.optimizer && full.lr === x.summary.lr) && storageOf(x.summary) !== 'float32');
  if (singles.length > 0) {
    md.push(`Single runs of other storages, not averaged: ${singles.map((x) => `${storageOf(x.summary)}, seed ${x.summary.seed}: ${x.summary.final_val_loss.toFixed(4)} (\`${x.file.split('/').pop()}\`)`).join('; ')}.`, '');
  }
  const series: Series[] = [
    ...pairs.flatMap(([full, half]) => [full, half]).map((r, i) => ({ label: `${r.optimizer}, ${r.storage}, mean of ${r.seeds.length} seeds`, color: PALETTE[i % PALETTE.length]!, points: r.curve.filter(([it]) => it > 0) })),
    ...singles.map((x, i) => ({
      label: `${x.summary.optimizer}, ${storageOf(x.summary)}, seed ${x.summary.seed}`,
      color: PALETTE[(2 * pairs.length + i) % PALETTE.length]!,
      dashed: true,
      points: x.evals.filter((e) => e.iter > 0).map((e) => [e.iter, e.val_loss] as const),
    })),
  ];
  svgs.set('storage.svg', lineChartSvg(series, { title: `Val loss along ${iters} iterations: 16-bit storage against float32`, xLabel: 'iteration', yLabel: 'val loss' }));
  md.push('![Val loss along the run: float32 and 16-bit storage](/benchmarks/storage.svg)', '');
  md.push('::: details The commands that write these files', '', '```sh', ...new Set(pairs.flatMap(([full, half]) => [...full.commands, ...half.commands])), '```', '', ':::', '');
  return { markdown: md, svgs };
}
