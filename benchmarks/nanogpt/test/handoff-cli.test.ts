// The handoff from the command line: --stop-at, export-torch, and --resume of a bundle — lmo's own
// (which continues bit for bit) and one PyTorch wrote (where python3-torch is installed); every bad
// bundle refused in one line with exit code 2 and nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/run/checkpoint.js';
import { runPaths } from '../src/run/run-dir.js';
import { lines, pkg, removeWorkdirs, run, spawnIn, workdir } from './helpers/cli.js';

afterAll(removeWorkdirs);

const SMALL = ['--backend', 'reference', '--eval-every', '3', '--eval-iters', '2', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '8', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];
const CORPUS = 'now is the winter of our discontent\n'.repeat(200);
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** The evaluations of a run's metrics file: [iter, val_loss] (val losses as printed, all digits). */
const evals = (dir: string): Array<[number, number]> =>
  lines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'))
    .map((l) => JSON.parse(l) as { iter?: number; val_loss: number })
    .filter((e) => e.iter !== undefined)
    .map((e) => [e.iter!, e.val_loss]);

async function ok(args: string[], cwd: string): Promise<string> {
  const r = await run(args, cwd);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** A run of 6 iterations with `optimizer` stopped at 3 (`cwd/r`), and the same run straight (`cwd/straight`). */
async function halfAndStraight(optimizer = 'scionlight'): Promise<string> {
  const cwd = workdir('nanogpt-handoff-', CORPUS);
  const stopped = await ok([...SMALL, '--optimizer', optimizer, '--iters', '6', '--stop-at', '3', '--out', 'r'], cwd);
  expect(stopped).toContain(`${optimizer}: stopped at step 3 of 6 (--stop-at); checkpoint r/checkpoint-${optimizer}.safetensors`);
  expect(stopped).toContain('pnpm nanogpt export-torch r');
  await ok([...SMALL, '--optimizer', optimizer, '--iters', '6', '--out', 'straight'], cwd);
  return cwd;
}

describe('--stop-at', () => {
  it('stops after n iterations with a checkpoint and exit code 0; --resume continues to the same losses as a straight run', async () => {
    const cwd = await halfAndStraight();
    expect(loadCheckpoint(runPaths(join(cwd, 'r')).checkpoint('scionlight'))).toMatchObject({ step: 3, iters: 6, finished: false });
    expect(JSON.parse(readFileSync(join(cwd, 'r', 'run.json'), 'utf8')).options).not.toHaveProperty('stopAt');
    const refused = await run(['--resume', 'r', '--stop-at', '3'], cwd);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual(['nanogpt: --stop-at 3: r/checkpoint-scionlight.safetensors is already at step 3']);
    await ok(['--resume', 'r'], cwd);
    expect(evals(join(cwd, 'r'))).toEqual(evals(join(cwd, 'straight')));
  }, 300_000); // PyTorch processes starting on a loaded 2-core machine
});

describe('export-torch and --resume of a bundle', () => {
  it("lmo's own bundle continues bit for bit; the bundle becomes a run directory", async () => {
    const cwd = await halfAndStraight('uscion-tuned');
    const out = await ok(['export-torch', 'r'], cwd);
    expect(lines(out)[0]).toBe('nanogpt: uscion-tuned at step 3 of 6 → r/torch-3 (model.safetensors, optimizer.safetensors, nanogpt.json)');
    expect(readdirSync(join(cwd, 'r', 'torch-3')).sort()).toEqual(['model.safetensors', 'nanogpt.json', 'optimizer.safetensors']);
    const resumed = await ok(['--resume', 'r/torch-3'], cwd);
    expect(resumed).toContain('nanogpt: r/torch-3 is a handoff bundle at step 3 of 6 (uscion-tuned): it is now a run directory');
    expect(resumed).toContain('backend reference');
    expect(evals(join(cwd, 'r', 'torch-3'))).toEqual(evals(join(cwd, 'straight')));
    expect(loadCheckpoint(runPaths(join(cwd, 'r', 'torch-3')).checkpoint('uscion-tuned'))).toMatchObject({ step: 6, finished: true });
  }, 300_000); // PyTorch processes starting on a loaded 2-core machine

  it('refuses what it cannot hand over or take back, in one line, exit code 2, nothing written', async () => {
    const cwd = await halfAndStraight();
    await ok(['export-torch', 'r', '--to', 'b'], cwd);
    const refused = async (args: string[], message: RegExp): Promise<void> => {
      const before = readdirSync(cwd).sort();
      const r = await run(args, cwd);
      expect(r.code, r.stderr).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(readdirSync(cwd).sort()).toEqual(before);
      expect(existsSync(join(cwd, 'b', 'run.json'))).toBe(false);
    };
    await refused(['export-torch', 'r', '--to', 'b'], /^nanogpt export-torch: b exists and is not empty \(--force overwrites/);
    await refused(['export-torch', 'nowhere'], /^nanogpt export-torch: nowhere holds no run/);
    await ok([...SMALL, '--optimizer', 'adamw', '--iters', '2', '--out', 'adam'], cwd);
    await refused(['export-torch', 'adam'], /optimizer adamw is not of the Scion family/);

    const optimizerFile = join(cwd, 'b', 'optimizer.safetensors');
    const good = readFileSync(optimizerFile);
    writeFileSync(optimizerFile, good.subarray(0, good.length - 4));
    await refused(['--resume', 'b'], /^nanogpt: b: the optimizer file: invalid safetensors: tensor "state\.[\w.]+\.grad_state" ends at byte \d+ of the data, which has only \d+ \(the file is truncated\)\n$/);
    writeFileSync(optimizerFile, good);
    writeFileSync(join(cwd, 'other.txt'), 'a different corpus\n'.repeat(300));
    await refused(['--resume', 'b', '--data', 'other.txt'], /trained on another corpus/);
    const meta = JSON.parse(readFileSync(join(cwd, 'b', 'nanogpt.json'), 'utf8')) as { lr: number };
    writeFileSync(join(cwd, 'b', 'nanogpt.json'), JSON.stringify({ ...meta, lr: meta.lr * 2 }));
    await refused(['--resume', 'b'], /the bundle's group "embedding" has lr 0\.00390625, these options' group "embedding" 0\.0078125/);
  }, 180_000);
});

describe.skipIf(!hasTorch)('the whole way from the command line (needs python3-torch)', () => {
  it('stop, export, PyTorch (train_handoff.py), resume: the final losses of the straight run to 1e-4', async () => {
    const cwd = await halfAndStraight();
    await ok(['export-torch', 'r', '--to', 'b'], cwd);
    const py = await spawnIn(PYTHON, [join(pkg, 'torch', 'train_handoff.py'), 'b', '--out', 'back', '--data', 'corpus.txt'], cwd, { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' });
    expect(py.stderr).toBe('');
    expect(py.code).toBe(0);
    await ok(['--resume', 'back'], cwd);
    const got = evals(join(cwd, 'back'));
    const want = evals(join(cwd, 'straight'));
    expect(got.map(([i]) => i)).toEqual(want.map(([i]) => i));
    got.forEach(([i, v], k) => expect(Math.abs(v - want[k]![1]), `val loss at ${i}`).toBeLessThan(1e-4 * v));
  }, 300_000); // PyTorch processes starting on a loaded 2-core machine
});
