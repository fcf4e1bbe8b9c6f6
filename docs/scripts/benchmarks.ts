// Generates docs/benchmarks.md and docs/public/benchmarks/*.svg (both git-ignored) from the
// nanoGPT benchmark's JSON-lines results under benchmarks/nanogpt/results/. Run by `docs:build`
// and `docs:dev` before VitePress; `tsx scripts/benchmarks.ts` runs it alone.
import { renderBenchmarksPage } from './benchmarks-page.js';
import { collectResults, readHeadline, resultsDir, writeGeneratedPage } from './generated-page.js';

// transfer/ and recipe/ hold sweep records: the tuning page (scripts/tuning.ts) shows them.
const files = collectResults(resultsDir, /\.(jsonl|json|ndjson)$/, new Set(['transfer', 'recipe']));
const page = renderBenchmarksPage(files, readHeadline());
writeGeneratedPage('benchmarks', page);
console.log(
  `benchmarks: ${files.length} result file(s), ${page.results.runs.length} run(s), ${page.svgs.size} plot(s)` +
    (page.results.skipped.length > 0 ? `, ${page.results.skipped.length} line(s) skipped` : '') +
    ' → docs/benchmarks.md',
);
