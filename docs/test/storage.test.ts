import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderStorageResults, type GptBudgetFile, type GptMemoryFile, type QualityFile, type TabMemoryFile } from '../scripts/storage-page.js';
import { runExample } from './run-example.js';

describe('examples/16-bit-storage.ts', () => {
  it('trains an ONNX MLP with bfloat16 weights, G and compensation: 6 bytes per parameter, the loss falls', async () => {
    const { module, printed } = await runExample(() => import('../examples/16-bit-storage.js'));
    const { losses, bytesPerParameter, state } = module;
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    expect(mean(losses.slice(-20))).toBeLessThan(0.5 * mean(losses.slice(0, 20)));
    expect(bytesPerParameter).toBe(6);
    expect(state.parameters.every((p) => p.dtypes?.gradient === 'bfloat16' && p.dtypes.compensation === 'bfloat16')).toBe(true);
    expect(printed[0]).toMatch(/^\d+ parameters, 6 bytes each; loss \d\.\d{3} → \d\.\d{3}$/);
  });
});

describe('the measured part of the 16-bit storage page', () => {
  const json = <F>(path: string): F => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')) as F;
  it('renders every results file with its command, and a plot per quality run and for the tab', () => {
    const memory = { path: 'adapters/onnxruntime/bench/results/gpt-memory.json', file: json<GptMemoryFile>('adapters/onnxruntime/bench/results/gpt-memory.json') };
    const quality = [{ path: 'adapters/onnxruntime/bench/results/quality.json', file: json<QualityFile>('adapters/onnxruntime/bench/results/quality.json') }];
    const tabs = ['browser/results/memory.json', 'browser/results/memory-no-arena.json'].map((path) => ({ path, file: json<TabMemoryFile>(path) }));
    const budgets = ['gpt-budget-1GiB.json', 'gpt-budget-512MiB.json'].map((f) => ({ path: `adapters/onnxruntime/bench/results/${f}`, file: json<GptBudgetFile>(`adapters/onnxruntime/bench/results/${f}`) }));
    const { markdown, svgs } = renderStorageResults({ memory, budgets, quality, tabs });
    for (const f of [memory, ...budgets, ...quality, ...tabs]) expect(markdown).toContain(f.file.command);
    expect([...svgs.keys()]).toEqual(['budget-0.svg', 'quality-0.svg', 'tab.svg']);
    // the budgets side by side, smallest first: each optimizer's widest width and its parameters against the first row's
    const [small, large] = [budgets[1]!.file, budgets[0]!.file];
    expect(markdown).toContain(`| optimizer, storage | within ${small.budget} | within ${large.budget} |`);
    const lightOf = (f: GptBudgetFile) => f.results.find((r) => r.config === 'ScionLight bfloat16')!;
    const section = markdown.slice(markdown.indexOf('### The widest GPT within a memory budget'));
    const row = section.split('\n').find((l) => l.startsWith('| ScionLight bfloat16 |'))!;
    expect(row).toContain(`**${lightOf(small).width}**, ${(lightOf(small).parameters / 1e6).toFixed(1)}M (${(lightOf(small).parameters / small.results[0]!.parameters).toFixed(2)}×)`);
    expect(row.indexOf(`**${lightOf(small).width}**`)).toBeLessThan(row.indexOf(`**${lightOf(large).width}**`));
    // the persistent bytes per parameter as the packages count them, for every model
    for (const m of memory.file.models) {
      const persistent = Object.fromEntries(m.rows.map((r) => [r['config'], r['persistent']]));
      expect(persistent).toMatchObject({ 'Scion float32': 12, 'ScionLight float32': 8, 'ScionLight bfloat16': 4, 'ScionLight bfloat16 + Kahan': 6, 'ScionLight bfloat16 stochastic': 4 });
    }
    // per file (the arena on, then off): the largest each optimizer trained, as a ratio to the first's (AdamW float32)
    const tabPart = markdown.slice(markdown.indexOf('### In a browser tab'));
    expect(tabPart.indexOf("arena on**")).toBeLessThan(tabPart.indexOf("arena off**"));
    for (const [i, tab] of tabs.entries()) {
      const part = tabPart.split("**onnxruntime's CPU memory arena")[i + 1]!;
      const largest = (o: string): number => Math.max(0, ...tab.file.rows.filter((r) => r.optimizer === o && r.ok).map((r) => r.parameters));
      const [adamw, light] = [largest('adamw-float32'), largest('scionlight-bfloat16')];
      expect(part).toContain(`scionlight-bfloat16 ${(light / 1e6).toFixed(1)}M (${(light / adamw).toFixed(2)}× adamw-float32's)`);
      expect(part).toContain(tab.file.command);
    }
    expect(renderStorageResults({ quality: [] }).markdown).toContain('No memory results yet.');
  });
});
