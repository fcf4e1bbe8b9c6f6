// The file side of the generated docs pages (benchmarks.ts, tuning.ts): reading the nanoGPT
// benchmark's results and writing a page with its plots. The pages themselves are rendered by pure
// functions (benchmarks-page.ts, tuning-page.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultFile } from './benchmarks-page.js';
import { headlineRows, parseHeadlineManifest, type Headline } from './benchmarks/headline.js';

const docs = fileURLToPath(new URL('..', import.meta.url));
const root = join(docs, '..');

/** `benchmarks/nanogpt/results/` (or `LMO_BENCH_RESULTS`). */
export const resultsDir = process.env.LMO_BENCH_RESULTS ?? join(root, 'benchmarks', 'nanogpt', 'results');
/** {@link resultsDir} relative to the repository root, as result files' paths begin. */
export const resultsPath = relative(root, resultsDir).split('\\').join('/');

/**
 * The headline: the manifest `headline.json` beside the results folder, read from the result files
 * (all of them, `recipe/` included). No manifest there: no headline.
 */
export function readHeadline(): Headline | undefined {
  const file = join(resultsDir, '..', 'headline.json');
  if (!existsSync(file)) return undefined;
  const manifest = parseHeadlineManifest(readFileSync(file, 'utf8'), relative(root, file));
  return { iters: manifest.iters, rows: headlineRows(manifest, collectResults(resultsDir, /\.jsonl$/), resultsPath) };
}

/**
 * The files under `dir` whose names match `pattern`, recursively, in name order, each with its path
 * relative to the repository root; folders named in `skip` are left out.
 */
export function collectResults(dir: string, pattern: RegExp, skip: ReadonlySet<string> = new Set()): ResultFile[] {
  if (!existsSync(dir)) return [];
  const files: ResultFile[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (!skip.has(entry)) files.push(...collectResults(path, pattern, skip));
    } else if (pattern.test(entry)) {
      files.push({ path: relative(root, path).split('\\').join('/'), text: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

/** Writes `docs/<name>.md` and replaces `docs/public/<name>/` with the page's SVG files. */
export function writeGeneratedPage(name: string, page: { readonly markdown: string; readonly svgs: ReadonlyMap<string, string> }): void {
  writeFileSync(join(docs, `${name}.md`), page.markdown);
  const svgDir = join(docs, 'public', name);
  rmSync(svgDir, { recursive: true, force: true });
  if (page.svgs.size > 0) {
    mkdirSync(svgDir, { recursive: true });
    for (const [file, svg] of page.svgs) writeFileSync(join(svgDir, file), svg);
  }
}
