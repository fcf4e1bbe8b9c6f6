// One run at a time in a run directory: a lock that a killed run does not leave stale (the lock itself,
// `@lmo/core/node`'s acquireLock, is tested in packages/core/test/node/lock.test.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIMIZER } from '@lmo/gpt';
import { checkpointName, loadCheckpoint } from '../src/run/checkpoint.js';
import { LOCK_FILE, runPaths } from '../src/run/run-dir.js';
import { bin, collect, killStarted, lines, removeWorkdirs, run, spawnGroup, until, workdir } from './helpers/cli.js';

afterEach(killStarted);
afterAll(removeWorkdirs);

const SMALL = ['--backend', 'reference', '--eval-every', '10', '--eval-iters', '2', '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];
const CORPUS = 'now is the winter of our discontent\n'.repeat(200);
const ck = (dir: string) => loadCheckpoint(runPaths(dir).checkpoint(DEFAULT_OPTIMIZER));

describe('one run per directory', () => {
  it('two runs started at the same instant on one --out: one refuses, and the files are all the other\'s', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const cwd = workdir('nanogpt-race-', CORPUS);
      // Seeds tell the two runs' files apart.
      const [a, b] = await Promise.all([1, 2].map((seed) => run([...SMALL, '--iters', '30', '--save-every', '5', '--seed', String(seed), '--out', 'r'], cwd)));
      const codes = [a!.code, b!.code].sort();
      expect(codes, `${a!.stderr}${b!.stderr}`).toEqual([0, 2]);
      const loser = a!.code === 2 ? a! : b!;
      expect(lines(loser.stderr)).toEqual([expect.stringMatching(/--out r(: .* is in use by a running nanogpt \(pid \d+| .*already holds a run)/)]);
      const seed = (JSON.parse(readFileSync(join(cwd, 'r', 'run.json'), 'utf8')) as { options: { seed: number } }).options.seed;
      expect(ck(join(cwd, 'r'))).toMatchObject({ seed, finished: true, step: 30 });
      const summary = JSON.parse(lines(readFileSync(join(cwd, 'r', 'metrics.jsonl'), 'utf8')).at(-1)!) as { seed: number };
      expect(summary.seed).toBe(seed);
    }
  }, 120_000);

  it('--force and --resume on a live run are refused; the live run finishes untouched', async () => {
    const cwd = workdir('nanogpt-live-', CORPUS);
    const live = spawnGroup(process.execPath, [bin, ...SMALL, '--iters', '100000', '--save-every', '5', '--out', 'r'], { cwd });
    const done = collect(live);
    await until(() => (ck(join(cwd, 'r'))?.step ?? 0) >= 5, 60_000, 'the first checkpoint');
    for (const args of [[...SMALL, '--iters', '10', '--out', 'r', '--force'], ['--resume', 'r']]) {
      const r = await run(args, cwd);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^nanogpt: --(out|resume) r: .*r is in use by a running nanogpt \\(pid ${live.pid}, since .*\\): wait for it to finish or stop it \\(kill ${live.pid}\\) first$`))]);
    }
    process.kill(live.pid!, 'SIGTERM');
    const r = await done;
    expect(r.code).toBe(143);
    expect(ck(join(cwd, 'r'))).toMatchObject({ iters: 100000, finished: false });
    expect(existsSync(join(cwd, 'r', LOCK_FILE))).toBe(false); // given back at the end
  }, 90_000);

  it('a SIGKILLed run leaves its lock and temporary files; --resume takes the lock over and removes them', async () => {
    const cwd = workdir('nanogpt-stale-', CORPUS);
    const child = spawnGroup(process.execPath, [bin, ...SMALL, '--iters', '100000', '--save-every', '5', '--out', 'r'], { cwd, stdio: 'ignore' });
    await until(() => (ck(join(cwd, 'r'))?.step ?? 0) >= 5, 60_000, 'the first checkpoint');
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(cwd, 'r', LOCK_FILE))).toBe(true);
    // What a write killed before its rename leaves (its writer's PID is gone).
    const tmp = join(cwd, 'r', `.${checkpointName(DEFAULT_OPTIMIZER)}.${child.pid}.k1ll3d00.tmp`);
    writeFileSync(tmp, 'partial');
    const r = await run(['--resume', 'r', '--iters', '12'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(join(cwd, 'r', LOCK_FILE))).toBe(false);
  }, 90_000);
});
