// Ctrl-C under `pnpm nanogpt`, sent as a terminal sends it: SIGINT to the whole process group.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIMIZER } from '@lmo/gpt';
import { loadCheckpoint } from '../src/run/checkpoint.js';
import { runPaths } from '../src/run/run-dir.js';
import { collect, groupAlive, killStarted, lines, pkg, spawnGroup, until, type Ran } from './helpers/cli.js';

afterEach(killStarted);
// `pnpm nanogpt` finds its bin from inside the repository: these runs work in a directory there.
const inside = join(pkg, 'out', `signals-test-${process.pid}`);
afterAll(() => rmSync(inside, { recursive: true, force: true }));

const SMALL = ['--backend', 'reference', '--eval-every', '1000', '--eval-iters', '2', '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];
/** The status a shell reports: the exit code, or 128 + the signal's number. */
const status = (r: Ran): number => r.code ?? 128 + constants.signals[r.signal!];

/** `pnpm nanogpt ARGS` in its own process group, in `cwd`; resolves once it printed its header line. */
async function startPnpm(cwd: string, args: string[]) {
  const child = spawnGroup('pnpm', ['nanogpt', ...args], { cwd });
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = collect(child);
  await until(() => stdout.includes('; run '), 60_000, 'the header line');
  return { pgid: child.pid!, done };
}

describe('Ctrl-C to the process group of `pnpm nanogpt`', () => {
  mkdirSync(inside, { recursive: true });
  writeFileSync(join(inside, 'corpus.txt'), 'now is the winter of our discontent\n'.repeat(200));

  it('10 of 10 trials write the final checkpoint (before the first periodic save too), exit 130 and say how to continue', async () => {
    const trial = async (i: number): Promise<void> => {
      const out = `r${i}`;
      const run = await startPnpm(inside, [...SMALL, '--iters', '100000', '--save-every', '100000', '--out', out]);
      await new Promise((r) => setTimeout(r, 97 * i)); // from just after the start to about a second in
      process.kill(-run.pgid, 'SIGINT');
      const r = await run.done; // its pipes close when the CLI (not only pnpm) has ended
      await until(() => !groupAlive(run.pgid), 15_000, 'the process group to end');
      expect(status(r), r.stderr).toBe(130);
      const ck = loadCheckpoint(runPaths(join(inside, out)).checkpoint(DEFAULT_OPTIMIZER));
      expect(ck, `trial ${i}: status ${status(r)}\n${r.stdout}\n${r.stderr}`).toBeDefined();
      expect(ck!.finished).toBe(false);
      expect(r.stdout).toContain(`stopped at step ${ck!.step} of 100000 (SIGINT)`);
      expect(lines(r.stdout).at(-1)).toBe(`continue with: pnpm nanogpt --resume ${out}`);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(/^nanogpt: SIGINT: stopping after this step with a final checkpoint/)]);
    };
    for (const wave of [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]) await Promise.all(wave.map(trial));
  }, 240_000);

  it('a second Ctrl-C stops at once, and pnpm reports 130', async () => {
    // Batches long enough (about a second) that both Ctrl-Cs land in the same one.
    const run = await startPnpm(inside, [...SMALL, '--n-embd', '128', '--n-layer', '4', '--block-size', '128', '--batch-size', '16', '--iters', '100000', '--save-every', '100000', '--out', 'twice']);
    await new Promise((r) => setTimeout(r, 500));
    // As a person presses Ctrl-C twice (the kernel merges a signal sent while the same one is pending).
    process.kill(-run.pgid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 150));
    process.kill(-run.pgid, 'SIGINT');
    const r = await run.done;
    await until(() => !groupAlive(run.pgid), 15_000, 'the process group to end');
    expect(status(r)).toBe(130);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(/^nanogpt: SIGINT: stopping after this step/),
      'nanogpt: SIGINT again: stopped at once (the last checkpoint stays); continue with: pnpm nanogpt --resume twice',
    ]);
    expect(r.stdout).not.toContain('stopped at step');
  }, 90_000);
});
