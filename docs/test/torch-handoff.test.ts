import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handoffTable, parseHandoffRecords, summarizeHandoff } from '@lmo/bench-nanogpt/report/handoff-report';
import { runExample } from './run-example.js';

const guideFile = fileURLToPath(new URL('../guide/torch-handoff.md', import.meta.url));
const resultsFile = fileURLToPath(new URL('../../benchmarks/nanogpt/results/handoff/handoff.jsonl', import.meta.url));

describe('examples/torch-handoff.ts', () => {
  it('writes a bundle, reads it back, and the resumed run takes the same step', async () => {
    const { module, printed } = await runExample(() => import('../examples/torch-handoff.js'));
    expect(module.identical).toBe(true);
    expect(printed).toEqual(['resumed at step 10', 'the resumed run took the same step']);
  });
});

describe('guide/torch-handoff.md holds the committed results (pnpm bench handoff)', () => {
  const guide = readFileSync(guideFile, 'utf8');
  const records = parseHandoffRecords(readFileSync(resultsFile, 'utf8'));
  const summaries = summarizeHandoff(records);

  it('each table is the one the records give', () => {
    const blocks = [...guide.matchAll(/<!-- handoff table: (\S+) -->\n([\s\S]*?)\n<!-- end -->/g)];
    expect(blocks.map((m) => m[1])).toEqual(summaries.map((s) => s.optimizer));
    for (const [, name, table] of blocks) expect(table, name).toBe(handoffTable(summaries.find((s) => s.optimizer === name)!));
  });

  it('its plots are the results folder\'s', () => {
    const images = [...guide.matchAll(/!\[[^\]]*\]\((\.\.\/\.\.\/benchmarks\/nanogpt\/results\/handoff\/[\w.-]+\.svg)\)/g)].map((m) => m[1]!);
    expect(images).toEqual(summaries.map((s) => `../../benchmarks/nanogpt/results/handoff/handoff-${s.optimizer}.svg`));
    for (const image of images) expect(existsSync(fileURLToPath(new URL(`../guide/${image}`, import.meta.url))), image).toBe(true);
  });

  it('what the page says of them holds', () => {
    const comparisons = summaries.flatMap((s) => s.comparisons);
    const handedOver = comparisons.filter((c) => c.handoffAt !== null);
    const straight = comparisons.filter((c) => c.handoffAt === null);
    expect(handedOver).toHaveLength(12);
    expect(straight).toHaveLength(6);
    for (const c of comparisons) expect(c.atHandoff, c.run).toBeLessThan(1e-7);
    for (const c of comparisons) expect(c.firstSteps, c.run).toBeLessThan(1e-6);
    for (const c of handedOver) expect(Math.abs(c.finalVal - c.referenceFinalVal), c.run).toBeLessThan(1e-4);
    for (const c of straight) expect(Math.abs(c.finalVal - c.referenceFinalVal), c.run).toBeLessThan(0.005);
    expect(Math.min(...summaries.map((s) => s.range))).toBeGreaterThanOrEqual(0.0086);
    expect(guide).toContain('(0.0086 or more)');
    // the commands' run ends where the straight run does
    const mainJob = records.find((r) => r.optimizer === 'uscion-tuned' && r.run === 'lmo' && r.seed === 1337)!;
    expect(guide).toContain(`# uscion-tuned: final val loss ${mainJob.evals.at(-1)![2].toFixed(4)} (…)`);
    const minutes = Math.round(records.reduce((sum, r) => sum + r.seconds, 0) / 60);
    expect(guide).toContain(`its runs took ${minutes} minutes`);
  });
});
