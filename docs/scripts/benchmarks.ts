// Generates docs/benchmarks.md and docs/public/benchmarks/*.svg (both git-ignored) from the
// nanoGPT benchmark's JSON-lines results under benchmarks/nanogpt/results/. Run by `docs:build`
// and `docs:dev` before VitePress; `tsx scripts/benchmarks.ts` runs it alone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBenchmarksPage, type ResultFile } from './benchmarks-page.js';

const docs = fileURLToPath(new URL('..', import.meta.url));
const root = join(docs, '..');
const resultsDir = process.env.LMO_BENCH_RESULTS ?? join(root, 'benchmarks', 'nanogpt', 'results');

const SWEEP_DIRS = new Set(['transfer', 'recipe']);

function collect(dir: string): ResultFile[] {
  if (!existsSync(dir)) return [];
  const files: ResultFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    // transfer/ and recipe/ hold sweep records: the tuning page (scripts/tuning.ts) shows them.
    if (statSync(path).isDirectory()) {
      if (!SWEEP_DIRS.has(entry)) files.push(...collect(path));
    }
    else if (/\.(jsonl|json|ndjson)$/.test(entry)) {
      files.push({ path: relative(root, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

const files = collect(resultsDir);
const page = renderBenchmarksPage(files);
writeFileSync(join(docs, 'benchmarks.md'), page.markdown);
const svgDir = join(docs, 'public', 'benchmarks');
rmSync(svgDir, { recursive: true, force: true });
if (page.svgs.size > 0) {
  mkdirSync(svgDir, { recursive: true });
  for (const [name, svg] of page.svgs) writeFileSync(join(svgDir, name), svg);
}
console.log(
  `benchmarks: ${files.length} result file(s), ${page.results.runs.length} run(s), ${page.results.sweeps.length} sweep(s), ${page.svgs.size} plot(s)` +
    (page.results.skipped.length > 0 ? `, ${page.results.skipped.length} line(s) skipped` : '') +
    ' → docs/benchmarks.md',
);
