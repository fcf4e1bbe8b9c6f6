// Generates docs/tuning.md and docs/public/tuning/*.svg (both git-ignored) from the nanoGPT
// benchmark's sweep results under benchmarks/nanogpt/results/ (transfer/, recipe/) and its headline
// (benchmarks/nanogpt/headline.json). Run by `docs:build` and `docs:dev` before VitePress;
// `tsx scripts/tuning.ts` runs it alone.
import { collectResults, readHeadline, resultsDir, writeGeneratedPage } from './generated-page.js';
import { renderTuningPage } from './tuning-page.js';

const files = collectResults(resultsDir, /\.jsonl$/);
const page = renderTuningPage(files, readHeadline());
writeGeneratedPage('tuning', page);
console.log(`tuning: ${files.length} result file(s), ${page.svgs.size} plot(s) → docs/tuning.md`);
