import { describe, expect, it } from 'vitest';
import { parityCommand, runCommand, speedCommand } from '../scripts/benchmarks/commands.js';
import { headlineRows } from '../scripts/benchmarks/headline.js';
import { distinctColumnsTable, meanSd } from '../scripts/benchmarks/tables.js';
import { parseResults, renderBenchmarksPage } from '../scripts/benchmarks-page.js';

// Synthetic input in the benchmark's formats; the numbers mean nothing.
const evals = (opt: string, base: number) =>
  [0, 250, 500].map((iter, i) => JSON.stringify({ iter, train_loss: base - i * 0.5, val_loss: base - i * 0.4, lr: 0.001, ms_per_iter: 10, optimizer: opt }));
const summary = (backend: string, optimizer: string, finalVal: number, msOpt: number, seed = 1337, extra: object = {}) =>
  JSON.stringify({
    summary: true, backend, optimizer, lr: optimizer === 'adamw' ? 0.001 : 2 ** -8, seed, iters: 500,
    final_val_loss: finalVal, best_val_loss: finalVal - 0.01, tokens_per_s: 1000, ms_fwd_bwd: 30, ms_optimizer: msOpt, peak_rss_mb: 200, ...extra,
  });
const R = 'benchmarks/nanogpt/results';

describe('scripts/benchmarks-page.ts', () => {
  it('says "No results yet" when there is nothing', () => {
    const page = renderBenchmarksPage([]);
    expect(page.markdown).toContain('## No results yet');
    expect(page.svgs.size).toBe(0);
  });

  it('tabulates runs with their files, compares with the reference backend and AdamW, and draws no plot per file', () => {
    const files = [
      { path: `${R}/ref.jsonl`, text: [...evals('scion', 4), summary('reference', 'scion', 2.5, 6), ...evals('adamw', 4.2), summary('reference', 'adamw', 2.6, 2)].join('\n') },
      { path: `${R}/wasm.jsonl`, text: [...evals('scion', 4), summary('tfjs-wasm', 'scion', 2.5004, 3), 'not json', ''].join('\n') },
    ];
    const { runs, skipped } = parseResults(files);
    expect(runs.map((r) => `${r.summary.backend}/${r.summary.optimizer}/${r.evals.length}`)).toEqual(['reference/scion/3', 'reference/adamw/3', 'tfjs-wasm/scion/3']);
    expect(skipped).toEqual([`${R}/wasm.jsonl:5: not JSON`]);
    const page = renderBenchmarksPage(files);
    expect(page.markdown).not.toContain('No results yet');
    // columns in which every run agrees (seed, length, tokens/s, …) are named above the table instead
    expect(page.markdown).toContain('Every row: Seed 1337; Iterations 500.');
    expect(page.markdown).toContain('| `wasm` | scion | 2^-8 | tfjs-wasm | 2.5004 | 2.4904 | +0.0004 |');
    expect(page.markdown).toContain('| `ref` | reference | scion | 30.0 + 6.0 (16.7%) | 3.00× |');
    // the per-file loss plots stay beside the result files; the page has only the headline's plot
    expect(page.svgs.size).toBe(0);
    expect(page.markdown).not.toContain('![');
  });

  it('writes one --compare command for a file of two runs, and --lr for a single run', () => {
    const { runs } = parseResults([
      { path: `${R}/cmp.jsonl`, text: [...evals('scion', 4), summary('onnxruntime', 'scion', 2.5, 6), ...evals('adamw', 4), summary('onnxruntime', 'adamw', 2.6, 2)].join('\n') },
      { path: `${R}/one.jsonl`, text: [...evals('uscion', 4), summary('reference', 'uscion', 2.4, 6, 7, { n_layer: 1, eval_iters: 200, block_size: 16 })].join('\n') },
    ]);
    expect(runCommand(runs.slice(0, 2))).toBe(`pnpm nanogpt --backend onnxruntime --optimizer scion --compare adamw --seed 1337 --iters 500 --json ${R}/cmp.jsonl`);
    // Settings that differ from the defaults are spelled out; defaults are not.
    expect(runCommand(runs.slice(2))).toBe(`pnpm nanogpt --backend reference --optimizer uscion --lr 2^-8 --seed 7 --iters 500 --n-layer 1 --block-size 16 --json ${R}/one.jsonl`);
    const page = renderBenchmarksPage([{ path: `${R}/cmp.jsonl`, text: [...evals('scion', 4), summary('onnxruntime', 'scion', 2.5, 6), ...evals('adamw', 4), summary('onnxruntime', 'adamw', 2.6, 2)].join('\n') }]);
    // One command for the file, not one per run (a second command with the same --json would overwrite the first).
    expect(page.markdown.match(/--json benchmarks\/nanogpt\/results\/cmp\.jsonl/g)).toHaveLength(1);
  });

  it('averages over seeds with the sample standard deviation', () => {
    const { mean, sd } = meanSd([1.7652, 1.7255, 1.7244]);
    expect(mean).toBeCloseTo((1.7652 + 1.7255 + 1.7244) / 3, 12);
    const ss = (1.7652 - mean) ** 2 + (1.7255 - mean) ** 2 + (1.7244 - mean) ** 2;
    expect(sd).toBeCloseTo(Math.sqrt(ss / 2), 12);
  });

  it('leaves out of a table the columns in which every row agrees, and names them above it', () => {
    expect(distinctColumnsTable(['a', 'b', 'c'], [['1', 'x', '—'], ['2', 'x', '—']])).toEqual(['Every row: b x.', '', '| a |', '|---|', '| 1 |', '| 2 |']);
    expect(distinctColumnsTable(['a', 'b'], [['1', 'x']])).toEqual(['| a | b |', '|---|---|', '| 1 | x |']);
  });

  it('opens with the headline: only the manifest\'s files, a sentence, a table, one plot, and the runs left out', () => {
    // seed 1337 of scion twice: once in the headline's file, once in a later check that is not part of it
    const evalsOf = (opt: string, base: number) =>
      [0, 1000, 2000].map((iter, i) => JSON.stringify({ iter, train_loss: base - i * 0.5, val_loss: base - i * 0.4, lr: 0.001, ms_per_iter: 10, optimizer: opt }));
    const run = (opt: string, loss: number, seed: number) => [...evalsOf(opt, 4), JSON.stringify({ ...JSON.parse(summary('onnxruntime', opt, loss, 6, seed)), iters: 2000, lr: opt === 'adamw' ? 0.001 : 2 ** -8 })];
    const files = [
      { path: `${R}/a-1337.jsonl`, text: [...run('scion', 1.7652, 1337), ...run('adamw', 1.9008, 1337)].join('\n') },
      { path: `${R}/a-1338.jsonl`, text: [...run('scion', 1.7255, 1338), ...run('adamw', 1.9191, 1338)].join('\n') },
      { path: `${R}/a-1339.jsonl`, text: [...run('scion', 1.7244, 1339), ...run('adamw', 1.9121, 1339)].join('\n') },
      { path: `${R}/check-scion-1337.jsonl`, text: run('scion', 1.7713, 1337).join('\n') },
    ];
    const ab = ['a-1337.jsonl', 'a-1338.jsonl', 'a-1339.jsonl'];
    const rows = headlineRows({ iters: 2000, rows: [{ optimizer: 'scion', files: ab }, { optimizer: 'adamw', files: ab }] }, files);
    const md = renderBenchmarksPage(files, { iters: 2000, rows }).markdown;
    const scion = meanSd([1.7652, 1.7255, 1.7244]);
    const adamw = meanSd([1.9008, 1.9191, 1.9121]);
    expect(md.indexOf('## Headline: 2000 iterations, 3 seeds')).toBeLessThan(md.indexOf('## The setup'));
    expect(md).toContain(`| scion | 2^-8 | 1337: 1.7652, 1338: 1.7255, 1339: 1.7244 | **${scion.mean.toFixed(4)}** ± ${scion.sd.toFixed(4)} | −${(adamw.mean - scion.mean).toFixed(4)} |`);
    expect(md).not.toMatch(/\| scion \| 2\^-8 \| 1337: 1\.7713/);
    expect(md).toContain('`check-scion-1337.jsonl` (scion, seed 1337: 1.7713)');
    expect(md).toContain(`\`scion\` reaches **${scion.mean.toFixed(4)} ± ${scion.sd.toFixed(4)}**: ${(adamw.mean - scion.mean).toFixed(4)} below nanoGPT's AdamW`);
    expect(md).toContain('![Val loss along the run');
    // the headline's files carry a star in the table of every run
    expect(md).toContain('| `a-1338` ★ |');
    expect(md).toContain('| `check-scion-1337` |');
    expect(md).toContain(`pnpm nanogpt --backend onnxruntime --optimizer scion --compare adamw --seed 1338 --iters 2000 --json ${R}/a-1338.jsonl`);
  });

  it('a 16-bit headline row: beside float32 in its own section with a plot, its storage in every table and in its command', () => {
    const run = (loss: number, seed: number, storage: object = {}) => [...evals('scionlight', 4), JSON.stringify({ ...JSON.parse(summary('onnxruntime', 'scionlight', loss, 6, seed, storage)), iters: 2000 })];
    const kahan = { dtype: 'bfloat16', compensation: 'kahan' };
    const files = [
      ...[1337, 1338, 1339].map((seed, i) => ({ path: `${R}/f-${seed}.jsonl`, text: run([1.76, 1.73, 1.74][i]!, seed, { dtype: 'float32', compensation: 'none' }).join('\n') })),
      ...[1337, 1338, 1339].map((seed, i) => ({ path: `${R}/h-${seed}.jsonl`, text: run([1.77, 1.71, 1.73][i]!, seed, kahan).join('\n') })),
      { path: `${R}/s-1337.jsonl`, text: run(1.75, 1337, { dtype: 'bfloat16', compensation: 'stochastic' }).join('\n') },
    ];
    const list = (p: string) => [1337, 1338, 1339].map((seed) => `${p}-${seed}.jsonl`);
    const rows = headlineRows({ iters: 2000, rows: [{ optimizer: 'scionlight', files: list('f') }, { optimizer: 'scionlight', files: list('h') }] }, files);
    expect(rows.map((r) => r.storage)).toEqual(['float32', 'bfloat16 + kahan']);
    const page = renderBenchmarksPage(files, { iters: 2000, rows });
    const [f, h] = [meanSd([1.76, 1.73, 1.74]), meanSd([1.77, 1.71, 1.73])];
    const section = page.markdown.slice(page.markdown.indexOf('## 16-bit storage'), page.markdown.indexOf('## The setup'));
    expect(section).toContain(`| scionlight | 2^-8 | 1337: 1.7600, 1338: 1.7300, 1339: 1.7400 | **${f.mean.toFixed(4)}** ± ${f.sd.toFixed(4)} | – | 36.0 |`);
    expect(section).toContain(`| scionlight (bfloat16 + kahan) | 2^-8 | 1337: 1.7700, 1338: 1.7100, 1339: 1.7300 | **${h.mean.toFixed(4)}** ± ${h.sd.toFixed(4)} | −${(f.mean - h.mean).toFixed(4)} | 36.0 |`);
    expect(section).toContain('Single runs of other storages, not averaged: bfloat16 + stochastic, seed 1337: 1.7500 (`s-1337.jsonl`).');
    expect(section).toContain('![Val loss along the run: float32 and 16-bit storage](/benchmarks/storage.svg)');
    expect(page.svgs.get('storage.svg')).toContain('scionlight, bfloat16 + kahan, mean of 3 seeds');
    expect(page.markdown).toContain(`pnpm nanogpt --backend onnxruntime --optimizer scionlight --lr 2^-8 --dtype bfloat16 --compensation kahan --seed 1338 --iters 2000 --json ${R}/h-1338.jsonl`);
    expect(page.markdown).toContain('| `h-1338` ★ | scionlight (bfloat16 + kahan) | 1338 |');
    expect(page.markdown).toContain('| `f-1338` ★ | scionlight | 1338 |');
  });

  it('reads parity and speed documents and writes their commands', () => {
    const config = { vocabSize: 65, nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 32 };
    const parity = { config, batchSize: 4, seed: 1337, optimizer: 'scion', steps: 2, reference_losses: [4.1, 3.9], rows: [{ backend: 'onnxruntime', losses: [4.1, 3.9000001], loss_diff: [0, 1e-7], grad_rel_err: {}, max_grad_rel_err_step0: 4e-7, max_grad_rel_err: 2e-6, max_loss_diff: 1e-7, ok: true }] };
    const speed = { config, batchSize: 12, iters: 3, warmup: 1, machine: { cpus: 2, cpu_model: 'x', node: 'v20', load_average_before: 1, load_average_after: 2 }, rows: [{ backend: 'onnxruntime', ms_fwd_bwd: 90, cpu_ms_fwd_bwd: 85, tokens_per_s: 5000, optimizers: { adamw: { ms: 20, cpu_ms: 19 }, scion: { ms: 50, cpu_ms: 48 } } }] };
    const results = parseResults([{ path: `${R}/parity.json`, text: JSON.stringify(parity) }, { path: `${R}/speed.json`, text: JSON.stringify(speed) }]);
    expect(results.parity).toHaveLength(1);
    expect(results.speed).toHaveLength(1);
    expect(parityCommand(results.parity[0]!)).toBe(`pnpm bench parity --steps 2 --optimizer scion --backends onnxruntime --n-layer 2 --n-head 4 --n-embd 64 --block-size 32 --batch-size 4 --seed 1337 --json ${R}/parity.json`);
    expect(speedCommand(results.speed[0]!)).toBe(`pnpm bench speed --iters 3 --warmup 1 --optimizers adamw,scion --backends onnxruntime --n-layer 2 --n-head 4 --n-embd 64 --block-size 32 --batch-size 12 --json ${R}/speed.json`);
    const page = renderBenchmarksPage([{ path: `${R}/parity.json`, text: JSON.stringify(parity) }, { path: `${R}/speed.json`, text: JSON.stringify(speed) }]);
    expect(page.markdown).toContain('| onnxruntime | the same to 5 decimals | 1.0e-7 | 4.0e-7 | 2.0e-6 | yes |');
    expect(page.markdown).toContain('| onnxruntime | 90.0 | 85.0 | 20.0 | 50.0 | 5000 | 2.5× |');
  });

  it('shows the runs of bench torch (PyTorch side by side) with their commands; a broken one is reported', () => {
    const t = (ms: number) => ({ median: ms, p10: ms, p90: ms, mean: ms });
    const part = (side: string, fields: object, ms: number) =>
      JSON.stringify({ side, ...(side === 'lmo' ? { backend: 'onnxruntime' } : {}), kind: 'part', n: 3, wall_ms: t(ms), cpu_ms: t(ms), ...fields });
    const run = (torchMs: number) =>
      [
        JSON.stringify({ side: 'torch', kind: 'env', threads: 2, blas: 'openblas', torch: '1.13', omp_wait_policy: 'PASSIVE' }),
        JSON.stringify({ side: 'lmo', kind: 'env', threads: 2, node: '20' }),
        part('torch', { part: 'fwd_bwd' }, torchMs),
        part('lmo', { part: 'fwd_bwd' }, 30),
        JSON.stringify({ side: 'torch', kind: 'memory', peak_rss_mb: 300 }),
        JSON.stringify({ side: 'lmo', kind: 'memory', peak_rss_mb: 250 }),
      ].join('\n');
    const files = [
      { path: `${R}/torch-1.jsonl`, text: run(60) },
      { path: `${R}/torch-2.jsonl`, text: run(90) },
      { path: `${R}/torch-3.jsonl`, text: `${JSON.stringify({ side: 'torch', kind: 'memory', peak_rss_mb: 1 })}\nnot json\n` },
    ];
    const results = parseResults(files);
    expect(results.sideBySide.map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(results.runs).toEqual([]); // neither training runs
    expect(results.skipped).toEqual([]);
    const page = renderBenchmarksPage(files);
    expect(page.markdown).toContain('## Side by side with PyTorch');
    // medians of the runs (60, 90 → 75; 30) and of the per-run ratios (2, 3 → 2.5)
    expect(page.markdown).toMatch(/\| forward\+backward +\| 75\.0 +\| 30\.0 +\| 2\.50× +\|/);
    expect(page.markdown).toContain(`pnpm bench torch-table ${R}/torch-1.jsonl ${R}/torch-2.jsonl\n`);
    expect(page.results.skipped).toEqual([`${R}/torch-3.jsonl, line 2: not JSON: not json`]);
  });
});
