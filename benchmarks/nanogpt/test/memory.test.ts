// The memory estimate `pnpm nanogpt` checks a run against before it starts, against measured peaks.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stepMemory } from '@lmo/gpt/node';
import { lines, pkg, removeWorkdirs, run, workdir } from './helpers/cli.js';

afterAll(removeWorkdirs);

const MiB = 1024 ** 2;
/** Measured / estimated, as a factor ≥ 1 either way. */
const off = (estimate: number, measured: number): number => Math.max(estimate / measured, measured / estimate);

interface Peak {
  backend: string;
  n_layer: number;
  n_head: number;
  n_embd: number;
  block_size: number;
  batch_size: number;
  vocab: number;
  peak_rss_mb: number;
}

describe('the memory estimate', () => {
  it('is within 1.5× of every peak in results/memory-peaks.jsonl (scripts/memory.sh: up to 4.5 GB, three backends)', () => {
    const peaks = lines(readFileSync(join(pkg, 'results', 'memory-peaks.jsonl'), 'utf8')).map((l) => JSON.parse(l) as Peak);
    expect(new Set(peaks.map((p) => p.backend))).toEqual(new Set(['onnxruntime', 'reference', 'tfjs-wasm', 'tfjs-cpu']));
    for (const p of peaks) {
      const cfg = { nLayer: p.n_layer, nHead: p.n_head, nEmbd: p.n_embd, blockSize: p.block_size, vocabSize: p.vocab };
      const { bytes } = stepMemory(cfg, p.batch_size, p.backend);
      expect(off(bytes, p.peak_rss_mb * MiB), JSON.stringify(p)).toBeLessThanOrEqual(1.5);
    }
  });

  it.each([
    ['onnxruntime', ['--n-layer', '1', '--n-head', '4', '--n-embd', '64', '--block-size', '1536', '--batch-size', '1']],
    ['reference', ['--n-layer', '1', '--n-head', '4', '--n-embd', '64', '--block-size', '1536', '--batch-size', '1']],
    ['onnxruntime', ['--n-layer', '2', '--n-head', '2', '--n-embd', '32', '--block-size', '64', '--batch-size', '8']],
  ])('%s %s: within 1.5× of the peak a run measures now', async (backend, shape) => {
    const cwd = workdir('nanogpt-memory-', 'now is the winter of our discontent\n'.repeat(1000));
    const r = await run(['--backend', backend, ...shape, '--iters', '1', '--eval-every', '1', '--eval-iters', '1', '--save-every', '0', '--sample', '0', '--no-progress', '--data', 'corpus.txt', '--out', 'r'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(cwd, 'r', 'metrics.jsonl'))).toBe(true);
    const summary = JSON.parse(lines(readFileSync(join(cwd, 'r', 'metrics.jsonl'), 'utf8')).at(-1)!) as Peak & { summary: true };
    const cfg = { nLayer: summary.n_layer, nHead: summary.n_head, nEmbd: summary.n_embd, blockSize: summary.block_size, vocabSize: 15 };
    expect(off(stepMemory(cfg, summary.batch_size, backend).bytes, summary.peak_rss_mb * MiB)).toBeLessThanOrEqual(1.5);
  }, 60_000);
});
