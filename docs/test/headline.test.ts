// One results set, one number everywhere: the benchmark's headline (benchmarks/nanogpt/headline.json,
// read from the result files) is what the READMEs, the hand-written docs pages and the generated
// Benchmarks and Tuning pages quote. A mean ± sd anywhere that no three-seed result gives fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarize, isRecipeRecord, type RecipeRecord } from '@lmo/bench-nanogpt/report/recipe-report';
import type { HeadlineRow } from '../scripts/benchmarks/headline.js';
import { renderBenchmarksPage } from '../scripts/benchmarks-page.js';
import { collectResults, readHeadline, resultsDir } from '../scripts/generated-page.js';
import { renderTuningPage } from '../scripts/tuning-page.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const headline = readHeadline()!;
const rows = headline.rows;
const row = (optimizer: string, lr?: number): HeadlineRow => rows.find((r) => r.optimizer === optimizer && (lr === undefined || r.lr === lr))!;

/** Every three-seed (or more) result of the main job's length: the headline and the recipe sweep's confirmations. */
const threeSeedResults: Array<{ mean: number; sd: number; what: string }> = [
  ...rows.map((r) => ({ mean: r.mean, sd: r.sd, what: `${r.optimizer} at ${r.lr}` })),
  ...summarize(
    collectResults(join(resultsDir, 'recipe'), /\.jsonl$/).flatMap((f) =>
      f.text.split('\n').flatMap((l) => {
        const v: unknown = l.trim().startsWith('{') ? JSON.parse(l) : undefined;
        return isRecipeRecord(v) ? [v as RecipeRecord] : [];
      }),
    ),
    headline.iters,
  )
    .filter((s) => s.losses.length >= 3)
    .map((s) => ({ mean: s.mean, sd: s.sd, what: s.id })),
];

/** Every `mean ± sd` in a text (bold marks allowed around the mean), with the digits it shows. */
function plusMinus(text: string): Array<{ text: string; mean: string; sd: string }> {
  return [...text.matchAll(/(\d+\.\d+)\**\s*±\s*(\d+\.\d+)/g)].map((m) => ({ text: m[0], mean: m[1]!, sd: m[2]! }));
}
const decimals = (s: string): number => s.split('.')[1]!.length;
const agrees = (q: { mean: string; sd: string }, r: { mean: number; sd: number }): boolean =>
  r.mean.toFixed(decimals(q.mean)) === q.mean && r.sd.toFixed(decimals(q.sd)) === q.sd;

/** The hand-written pages of the site (the generated ones are checked below from their generator). */
function pages(dir = join(root, 'docs')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (['node_modules', 'api', '.vitepress', 'examples', 'examples-browser', 'test', 'test-browser', 'scripts', 'public'].includes(e.name)) return [];
    if (['benchmarks.md', 'tuning.md'].includes(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? pages(path) : e.name.endsWith('.md') ? [relative(root, path)] : [];
  });
}
const DOCUMENTS = ['README.md', 'benchmarks/nanogpt/README.md', 'packages/core/README.md', 'adapters/tfjs/README.md', 'adapters/onnxruntime/README.md', 'adapters/gpujs/README.md', ...pages()];

/** Table lines that give a result per seed (`1337: 1.6343, 1338: …`), with the seeds' values and the line's first cells. */
function perSeedLines(markdown: string): Array<{ line: string; cells: string[]; seeds: Map<number, string> }> {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && /\d{4}: \d\.\d{4}, \d{4}: \d\.\d{4}/.test(l))
    .map((line) => ({
      line,
      cells: line.split('|').slice(1, -1).map((c) => c.trim()),
      seeds: new Map([...line.matchAll(/(\d{4}): (\d\.\d{4})/g)].map((m) => [Number(m[1]), m[2]!])),
    }));
}

describe('the headline', () => {
  it('reads every row of headline.json from the result files: three seeds each, the default recipe among them', () => {
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) expect(r.seeds, `${r.optimizer} at ${r.lr}`).toEqual([1337, 1338, 1339]);
    expect(rows.filter((r) => r.isDefault).map((r) => r.optimizer)).toEqual(['uscion-tuned']);
    expect(row('scion')).toBeDefined();
    expect(row('adamw')).toBeDefined();
  });

  it.each(DOCUMENTS)('every mean ± sd in %s is a three-seed result of the results files', (path) => {
    for (const q of plusMinus(read(path))) {
      expect(threeSeedResults.some((r) => agrees(q, r)), `${path}: "${q.text}" is no three-seed result of benchmarks/nanogpt/results (the headline: ${rows.map((r) => `${r.optimizer} ${r.mean.toFixed(4)} ± ${r.sd.toFixed(4)}`).join(', ')})`).toBe(true);
    }
  });

  it("the README quotes the default's, the paper's Scion's and uSCG's, and AdamW's headline", () => {
    const readme = read('README.md');
    for (const r of [row('uscion-tuned'), row('scion'), row('uscion', 2 ** -8), row('adamw')]) {
      expect(readme, `${r.optimizer} at ${r.lr}`).toContain(`${r.mean.toFixed(3)} ± ${r.sd.toFixed(3)}`);
    }
  });

  it("the benchmark README's quality table has every headline row, with the same seeds, mean and sd", () => {
    const text = read('benchmarks/nanogpt/README.md');
    const section = text.slice(text.indexOf('### Quality'), text.indexOf('\n### ', text.indexOf('### Quality') + 1));
    const lines = perSeedLines(section);
    for (const r of rows) {
      const hit = lines.find((l) => r.seeds.every((s, i) => l.seeds.get(s) === r.losses[i]!.toFixed(4)));
      expect(hit, `${r.optimizer} at ${r.lr}: no row with ${r.losses.map((x) => x.toFixed(4)).join(', ')}`).toBeDefined();
      expect(hit!.cells[0]!.startsWith(r.optimizer), hit!.line).toBe(true);
      expect(plusMinus(hit!.line).every((q) => agrees(q, r)), hit!.line).toBe(true);
    }
    expect(lines).toHaveLength(rows.length);
  });

  // The generated pages: any per-seed row of a headline optimizer at its lr must be the headline's.
  const files = collectResults(resultsDir, /\.(jsonl|json|ndjson)$/);
  const generated = {
    benchmarks: renderBenchmarksPage(files.filter((f) => !/\/(transfer|recipe)\//.test(f.path)), headline).markdown,
    tuning: renderTuningPage(files.filter((f) => f.path.endsWith('.jsonl')), headline).markdown,
  };
  it.each(Object.keys(generated))('the %s page shows the headline\'s numbers and no others for the same runs', (name) => {
    const md = generated[name as keyof typeof generated];
    for (const l of perSeedLines(md)) {
      const [optimizer, lr] = [l.cells[0]!.replace(/ \(default\)$/, ''), l.cells[1]];
      const same = rows.find((r) => r.optimizer === optimizer && lr === `2^${Math.log2(r.lr)}`) ?? rows.find((r) => r.optimizer === optimizer && String(r.lr) === lr);
      if (!same) continue;
      expect([...l.seeds].map(([s, v]) => `${s}: ${v}`), l.line).toEqual(same.seeds.map((s, i) => `${s}: ${same.losses[i]!.toFixed(4)}`));
    }
    for (const r of rows.filter((x) => name === 'benchmarks' || x.recipe === undefined)) expect(md).toContain(`**${r.mean.toFixed(4)}** ± ${r.sd.toFixed(4)}`);
  });

  it('the Benchmarks page opens with the headline, the default recipe first', () => {
    const md = generated.benchmarks;
    const top = md.slice(0, md.indexOf('\n## ', md.indexOf('## Headline') + 1));
    const best = row('uscion-tuned');
    expect(top).toContain(`\`uscion-tuned\`, what \`pnpm nanogpt\` trains by default, reaches **${best.mean.toFixed(4)} ± ${best.sd.toFixed(4)}**`);
    expect(md.indexOf('## Headline')).toBeLessThan(md.indexOf('## The setup'));
    // one plot for the headline, and one for its 16-bit rows against float32 where it has them
    expect(md.match(/!\[/g)).toHaveLength(rows.some((r) => r.storage !== 'float32') ? 2 : 1);
  });
});
