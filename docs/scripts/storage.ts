// Generates docs/storage-results.md and docs/public/storage-results/*.svg (both git-ignored), which
// concepts/16-bit-storage.md includes, from the memory, budget, quality and browser-tab results files. Run by
// `docs:build` and `docs:dev` before VitePress; `tsx scripts/storage.ts` runs it alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedPage } from './generated-page.js';
import { renderStorageResults, type StorageInputs, type TabMemoryFile } from './storage-page.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = join(root, 'adapters', 'onnxruntime', 'bench', 'results');
const read = <F>(file: string): { path: string; file: F } | undefined => (existsSync(file) ? { path: relative(root, file), file: JSON.parse(readFileSync(file, 'utf8')) as F } : undefined);

const inputs: StorageInputs = {
  memory: read(join(bench, 'gpt-memory.json')),
  budgets: readdirSync(bench)
    .filter((f) => /^gpt-budget-.*\.json$/.test(f))
    .map((f) => read(join(bench, f))!) as StorageInputs['budgets'],
  quality: readdirSync(bench)
    .filter((f) => /^quality.*\.json$/.test(f))
    .sort()
    .map((f) => read(join(bench, f))!) as StorageInputs['quality'],
  // the arena on (memory.json) first, then off (memory-no-arena.json)
  tabs: ['memory.json', 'memory-no-arena.json'].map((f) => read<TabMemoryFile>(join(root, 'browser', 'results', f))).filter((t) => t !== undefined),
};
const page = renderStorageResults(inputs);
writeGeneratedPage('storage-results', page);
console.log(`storage: ${[inputs.memory, ...(inputs.budgets ?? []), ...inputs.quality, ...(inputs.tabs ?? [])].filter(Boolean).length} result file(s), ${page.svgs.size} plot(s) → docs/storage-results.md`);
