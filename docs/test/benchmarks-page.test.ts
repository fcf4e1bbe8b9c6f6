import { describe, expect, it } from 'vitest';
import { commandFor, parseRuns, renderBenchmarksPage } from '../scripts/benchmarks-page.js';

// Synthetic input in the benchmark's format; the numbers mean nothing.
const evals = (opt: string, base: number) =>
  [0, 250, 500].map((iter, i) => JSON.stringify({ iter, train_loss: base - i * 0.5, val_loss: base - i * 0.4, lr: 0.001, ms_per_iter: 10, optimizer: opt }));
const summary = (backend: string, optimizer: string, finalVal: number, msOpt: number) =>
  JSON.stringify({
    summary: true, backend, optimizer, lr: optimizer === 'adamw' ? 0.001 : 2 ** -8, seed: 1337, iters: 500,
    final_val_loss: finalVal, best_val_loss: finalVal - 0.01, tokens_per_s: 1000, ms_fwd_bwd: 30, ms_optimizer: msOpt, peak_rss_mb: 200,
  });

describe('scripts/benchmarks-page.ts', () => {
  it('says "No results yet" when there is nothing', () => {
    const page = renderBenchmarksPage([]);
    expect(page.markdown).toContain('## No results yet');
    expect(page.svgs.size).toBe(0);
  });

  it('tabulates runs, compares with the reference backend and AdamW, plots each file', () => {
    const files = [
      { path: 'benchmarks/nanogpt/results/ref.jsonl', text: [...evals('scion', 4), summary('reference', 'scion', 2.5, 6), ...evals('adamw', 4.2), summary('reference', 'adamw', 2.6, 2)].join('\n') },
      { path: 'benchmarks/nanogpt/results/wasm.jsonl', text: [...evals('scion', 4), summary('tfjs-wasm', 'scion', 2.5004, 3), 'not json', ''].join('\n') },
    ];
    const { runs, skipped } = parseRuns(files);
    expect(runs.map((r) => `${r.summary.backend}/${r.summary.optimizer}/${r.evals.length}`)).toEqual(['reference/scion/3', 'reference/adamw/3', 'tfjs-wasm/scion/3']);
    expect(skipped).toEqual(['benchmarks/nanogpt/results/wasm.jsonl:5: not JSON']);
    const page = renderBenchmarksPage(files);
    expect(page.markdown).not.toContain('No results yet');
    expect(page.markdown).toContain('| scion | 2^-8 | 1337 | 500 | tfjs-wasm | 2.5004 | 2.4904 | +0.0004 |');
    expect(page.markdown).toContain('| reference | scion | 1000 | 30.0 | 6.0 | 16.7% | 3.00× | 200 |');
    expect(page.markdown).toContain('![Loss curves of ref');
    expect([...page.svgs.keys()]).toEqual(['ref.svg', 'wasm.svg']);
    expect(page.svgs.get('ref.svg')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(commandFor(runs[2]!)).toBe('pnpm nanogpt --backend tfjs-wasm --optimizer scion --lr 0.00390625 --seed 1337 --iters 500 --json results/wasm.jsonl');
  });
});
