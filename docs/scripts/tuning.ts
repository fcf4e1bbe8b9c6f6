// Generates docs/tuning.md and docs/public/tuning/*.svg (both git-ignored) from the nanoGPT
// benchmark's sweep results under benchmarks/nanogpt/results/ (transfer/, recipe/ and the
// three-seed runs beside them). Run by `docs:build` and `docs:dev` before VitePress;
// `tsx scripts/tuning.ts` runs it alone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultFile } from './benchmarks-page.js';
import { renderTuningPage } from './tuning-page.js';

const docs = fileURLToPath(new URL('..', import.meta.url));
const root = join(docs, '..');
const resultsDir = process.env.LMO_BENCH_RESULTS ?? join(root, 'benchmarks', 'nanogpt', 'results');

function collect(dir: string): ResultFile[] {
  if (!existsSync(dir)) return [];
  const files: ResultFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (/\.jsonl$/.test(entry)) files.push({ path: relative(root, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
  }
  return files;
}

const files = collect(resultsDir);
const page = renderTuningPage(files);
writeFileSync(join(docs, 'tuning.md'), page.markdown);
const svgDir = join(docs, 'public', 'tuning');
rmSync(svgDir, { recursive: true, force: true });
if (page.svgs.size > 0) {
  mkdirSync(svgDir, { recursive: true });
  for (const [name, svg] of page.svgs) writeFileSync(join(svgDir, name), svg);
}
console.log(`tuning: ${files.length} result file(s), ${page.svgs.size} plot(s) → docs/tuning.md`);
