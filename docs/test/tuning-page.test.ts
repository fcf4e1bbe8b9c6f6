import { describe, expect, it } from 'vitest';
import { bestLrs } from '@lmo/bench-nanogpt/report/transfer-report';
import { headlineRows } from '../scripts/benchmarks/headline.js';
import { renderTuningPage, sweepRecords, transferVerdict } from '../scripts/tuning-page.js';

// Synthetic records in the benchmark's formats; the numbers mean nothing.
const transfer = (optimizer: string, width: number, lr: number, loss: number | null, seed = 1337) =>
  JSON.stringify({
    kind: 'transfer', optimizer, width, n_head: width / 32, n_layer: 4, block_size: 64, batch_size: 12, lr, seed,
    iters: 500, eval_iters: 50, final_val_loss: loss, best_val_loss: loss, seconds: 60, backend: 'onnxruntime', ort_threads: 1,
  });
const recipe = (lr: number, seed: number, loss: number, iters: number) => {
  const r = { family: 'uscion', lr, momentum: 0.1, hidden: 3, gains: 3, positions: 3, embedding: 180, schedule: 'cosine', warmup: 100, decay: 0.2, ortho: 'quintic' };
  return JSON.stringify({
    kind: 'recipe', id: `family=uscion lr=${lr} schedule=cosine`, recipe: r, seed, iters, eval_iters: 50, batch_size: 12, n_layer: 4, n_head: 4,
    width: 128, block_size: 64, final_val_loss: loss, best_val_loss: loss, seconds: 100, backend: 'onnxruntime',
    ...(iters === 2000 ? { evals: [{ iter: 0, val_loss: 4.2, train_loss: 4.2 }, { iter: 1000, val_loss: 2, train_loss: 2 }, { iter: 2000, val_loss: loss, train_loss: loss }] } : {}),
  });
};
const summary = (optimizer: string, seed: number, loss: number) =>
  JSON.stringify({ summary: true, backend: 'onnxruntime', optimizer, lr: 2 ** -8, seed, iters: 2000, final_val_loss: loss, best_val_loss: loss, tokens_per_s: 1, ms_fwd_bwd: 1, ms_optimizer: 1, peak_rss_mb: 1 });

const files = [
  {
    path: 'benchmarks/nanogpt/results/transfer/transfer-500.jsonl',
    text: [
      transfer('scion', 64, 2 ** -9, 2.3), transfer('scion', 64, 2 ** -8, 2.2), transfer('scion', 64, 2 ** -7, 2.25),
      transfer('scion', 64, 2 ** -8, 2.1, 1338), transfer('scion', 64, 2 ** -8, 2.3, 1339),
      transfer('scion', 128, 2 ** -9, 2.2), transfer('scion', 128, 2 ** -8, 2.1), transfer('scion', 128, 2 ** -7, null),
      transfer('adamw', 64, 5e-4, 2.45), transfer('adamw', 64, 1e-3, 2.4), transfer('adamw', 64, 2e-3, 2.35), transfer('adamw', 64, 4e-3, 2.5),
      transfer('adamw', 128, 1e-3, 2.3), transfer('adamw', 128, 2e-3, 2.4), transfer('adamw', 128, 5e-4, 2.45),
      transfer('adamw', 256, 1e-3, 2.2), transfer('adamw', 256, 5e-4, 2.25),
      '{"cut',
    ].join('\n'),
  },
  {
    path: 'benchmarks/nanogpt/results/recipe/recipe-500.jsonl',
    text: [recipe(2 ** -8, 1337, 2.0, 500), recipe(2 ** -7, 1337, 1.9, 500), recipe(2 ** -6, 1337, 2.1, 500)].join('\n'),
  },
  {
    path: 'benchmarks/nanogpt/results/recipe/recipe-2000.jsonl',
    text: [recipe(2 ** -7, 1337, 1.6, 2000), recipe(2 ** -7, 1338, 1.5, 2000), recipe(2 ** -7, 1339, 1.7, 2000)].join('\n'),
  },
  { path: 'benchmarks/nanogpt/results/scion-a.jsonl', text: [summary('scion', 1337, 1.8), summary('scion', 1338, 1.7), summary('scion', 1339, 1.75)].join('\n') },
];

const headline = { iters: 2000, rows: headlineRows({ iters: 2000, rows: [{ optimizer: 'scion', files: ['scion-a.jsonl'] }] }, files) };

describe('scripts/tuning-page.ts', () => {
  it('reads transfer and recipe records, nothing else', () => {
    const { transfer: t, recipe: r } = sweepRecords(files);
    expect(t).toHaveLength(17);
    expect(r).toHaveLength(6);
  });

  it('renders the transfer figure and best-lr table, the sweep ranking and the three-seed table', () => {
    const page = renderTuningPage(files, headline);
    expect([...page.svgs.keys()].sort()).toEqual(['recipe-2000-curves.svg', 'recipe-500-lr.svg', 'transfer-500.svg']);
    const md = page.markdown;
    // scion 64: best 2^-8 (2.2), seeds 2.2, 2.1, 2.3 → mean 2.2 ± 0.1
    // vertices: 64 through (−9, 2.3), (−8, 2.2), (−7, 2.25) → −8 + ½·(0.05)/(0.15)·… = −7.8333; 128's neighbour diverged
    expect(md).toContain('| scion | 64 | 2^-8 | 2.2000, 2.1000, 2.3000 | 2.2000 ± 0.1000 | -7.83 |');
    expect(md).toContain('| scion | 128 | 2^-8 | 2.1000 | – | – |');
    // what ran with more seeds is read from the records, not assumed
    expect(md).toMatch(/then more seeds ran at the best lr \(scion: widths 64 \(2 more seeds\); adamw: no width\)/);
    expect(md).toContain('scion: best lr 64: 2^-8, 128: 2^-8 — a spread of 1× (0 octaves) across widths');
    expect(md).toContain('adamw: best lr 64: 2e-3, 128: 1e-3, 256: 1e-3 — a spread of 2× (1 octave) across widths');
    expect(md).toContain('| 2^-7 | 2.2500 | diverged |');
    // ranking at 500 and the three seeds at 2000: 1.6, 1.5, 1.7 → 1.6 ± 0.1, 0.15 below the baseline's 1.75
    // recipes are written as what they change in the default recipe (uscion-tuned: lr 2^-8, gains 1.5, linear)
    expect(md).toContain('| 1 | lr=2^-7, gains=3, schedule=cosine | 1337 | 1.9000 | 1.9000 |');
    expect(md).toContain('| 1337, 1338, 1339 | 1.6000, 1.5000, 1.7000 | **1.6000** ± 0.1000 |');
    // the baselines are the headline's rows
    expect(md).toContain('| scion | 2^-8 | 1337: 1.8000, 1338: 1.7000, 1339: 1.7500 | **1.7500** ± 0.0500 |');
    expect(md).toContain('0.1500 below scion at 2^-8 (1.7500)');
    // the fixture's best is not the shipped recipe, and the page says which one is
    expect(md).toMatch(/\(`pnpm nanogpt`'s default, `uscion-tuned`, is `family=uscion lr=2\^-8 [^`]*gains=1\.5[^`]*`\)/);
    // the stage of the tuning script that ran it, and the report from the file
    expect(md).toContain('bash benchmarks/nanogpt/scripts/tuning.sh transfer\npnpm bench transfer --report-only --iters 500 --json benchmarks/nanogpt/results/transfer/transfer-500.jsonl');
  });

  it('says in one sentence whether the best lr transfers across widths', () => {
    const rec = (optimizer: string, width: number, lr: number, loss: number) => JSON.parse(transfer(optimizer, width, lr, loss)) as Parameters<typeof bestLrs>[0][number];
    // best lr per width: scion 2^-8, 2^-8, 2^-9, 2^-11 (a grid step, then two more); adamw 8e-3 → 1e-3
    const grid = (opt: string, best: number[], lrs: (b: number) => number[]) =>
      best.flatMap((b, i) => lrs(b).map((lr) => rec(opt, 64 * 2 ** i, lr, lr === b ? 2 : 2.2)));
    const octave = (b: number) => [b / 2, b, b * 2];
    const records = [...grid('scion', [2 ** -8, 2 ** -8, 2 ** -9, 2 ** -11], octave), ...grid('adamw', [8e-3, 4e-3, 2e-3, 1e-3], octave)];
    expect(transferVerdict(bestLrs(records, 1337), 500)).toBe(
      "**Does the transfer claim hold here (500 iterations)?** Only up to width 256: from width 64 to 256 scion's best learning rate stays within one grid step (from 2^-8 to 2^-9) while adamw's moves 4× (from 8e-3 to 2e-3), but at width 512 it moves to 2^-11: 8× across all widths, against adamw's 8×.",
    );
    const holds = [...grid('scion', [2 ** -8, 2 ** -8, 2 ** -9], octave), ...grid('adamw', [8e-3, 4e-3, 2e-3], octave)];
    expect(transferVerdict(bestLrs(holds, 1337), 500)).toMatch(/\?\*\* Yes: from width 64 to 256 scion's best learning rate stays within one grid step \(from 2\^-8 to 2\^-9\), while adamw's moves 4× /);
    const fails = [...grid('scion', [2 ** -6, 2 ** -8, 2 ** -10], octave), ...grid('adamw', [8e-3, 4e-3, 2e-3], octave)];
    expect(transferVerdict(bestLrs(fails, 1337), 500)).toContain("** No: scion's best learning rate moves 16× from width 64 to 256 (from 2^-6 to 2^-10), adamw's 4×.");
    expect(transferVerdict(bestLrs(fails.filter((r) => r.width === 64), 1337), 500)).toBeUndefined();
  });

  it('says what is missing when there are no records', () => {
    const md = renderTuningPage([]).markdown;
    expect(md).toContain('No transfer records yet');
    expect(md).toContain('No recipe records yet');
  });
});
