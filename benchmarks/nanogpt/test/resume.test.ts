// --resume continues only what it can continue exactly: a checkpoint that holds together, trained
// under the options and corpus at hand, or under changes given or accepted explicitly.
import { Random } from '@lmo/core';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIMIZER } from '@lmo/gpt';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../src/run/checkpoint.js';
import { runPaths } from '../src/run/run-dir.js';
import { encodeVersion1 } from './helpers/checkpoints.js';
import { bin, collect, killStarted, lines, removeWorkdirs, run, spawnGroup, until, workdir } from './helpers/cli.js';

afterEach(killStarted);
afterAll(removeWorkdirs);

const SMALL = ['--backend', 'reference', '--eval-every', '3', '--eval-iters', '2', '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];
const CORPUS = 'now is the winter of our discontent\n'.repeat(200);
const ckPath = (cwd: string, dir = 'r'): string => runPaths(join(cwd, dir)).checkpoint(DEFAULT_OPTIMIZER);
const readCk = (cwd: string, dir = 'r'): Checkpoint => loadCheckpoint(ckPath(cwd, dir))!;
const runJson = (cwd: string): string => join(cwd, 'r', 'run.json');
const editRunJson = (cwd: string, edit: (options: Record<string, unknown>) => void): void => {
  const record = JSON.parse(readFileSync(runJson(cwd), 'utf8')) as { options: Record<string, unknown> };
  edit(record.options);
  writeFileSync(runJson(cwd), JSON.stringify(record, null, 2));
};
const evalIters = (cwd: string): number[] =>
  lines(readFileSync(join(cwd, 'r', 'metrics.jsonl'), 'utf8')).map((l) => (JSON.parse(l) as { iter?: number }).iter).filter((i): i is number => i !== undefined);

/** A finished run of `iters` iterations in `cwd/r`. */
async function finished(iters = 6): Promise<string> {
  const cwd = workdir('nanogpt-resume-', CORPUS);
  const r = await run([...SMALL, '--iters', String(iters), '--save-every', '2', '--out', 'r'], cwd);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return cwd;
}

describe('changed inputs', () => {
  it('an lr (and iters) edited in run.json is refused, naming them; --accept-changes continues with them and records the change', async () => {
    const cwd = await finished();
    editRunJson(cwd, (o) => {
      o['lr'] = 0.01;
      o['iters'] = 12;
    });
    const refused = await run(['--resume', 'r'], cwd);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual([
      `nanogpt: --resume r: changed since r/${ckPath(cwd).split('/').at(-1)} was written: lr 0.00390625 → 0.01 (run.json), iters 6 → 12 (run.json); pass --accept-changes to continue with these changes, or undo them`,
    ]);
    const accepted = await run(['--resume', 'r', '--accept-changes'], cwd);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`${DEFAULT_OPTIMIZER}: resuming at step 6 of 12 with lr 0.00390625 → 0.01, iters 6 → 12 from r/`);
    expect(readCk(cwd)).toMatchObject({ step: 12, iters: 12, lr: 0.01, finished: true });
    const record = JSON.parse(readFileSync(runJson(cwd), 'utf8')) as { changes: Array<{ step: number; changed: object }> };
    expect(record.changes).toEqual([expect.objectContaining({ step: 6, changed: { lr: [0.00390625, 0.01], iters: [6, 12] } })]);
    expect(evalIters(cwd)).toEqual([0, 3, 6, 9, 12]);
    const again = await run(['--resume', 'r'], cwd); // finished, nothing changed since
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  }, 60_000);

  it('--resume --iters N continues a finished run to N (the flag is the change: nothing to accept)', async () => {
    const cwd = await finished();
    const r = await run(['--resume', 'r', '--iters', '9'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readCk(cwd)).toMatchObject({ step: 9, iters: 9, finished: true });
    expect(evalIters(cwd)).toEqual([0, 3, 6, 9]); // the evaluation at 6 is not repeated
    const fewer = await run(['--resume', 'r', '--iters', '5'], cwd);
    expect(fewer.code).toBe(2);
    expect(lines(fewer.stderr)).toEqual([expect.stringMatching(/^nanogpt: --resume r: --iters 5 is fewer than the 9 steps r\/checkpoint-\S+ has taken$/)]);
  }, 60_000);

  it('a rewritten corpus is refused; --accept-changes trains on it; new characters are refused even then', async () => {
    const cwd = await finished();
    writeFileSync(join(cwd, 'corpus.txt'), 'the winter of our discontent is now\n'.repeat(200)); // the same characters
    const refused = await run(['--resume', 'r', '--iters', '9'], cwd);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual([expect.stringMatching(/^nanogpt: --resume r: changed since r\/\S+ was written: corpus [0-9a-f]{12}… → [0-9a-f]{12}… \(the corpus corpus\.txt\); pass --accept-changes/)]);
    const accepted = await run(['--resume', 'r', '--iters', '9', '--accept-changes'], cwd);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    writeFileSync(join(cwd, 'corpus.txt'), 'the winter of our discontent is now!\n'.repeat(200));
    const vocab = await run(['--resume', 'r', '--iters', '12', '--accept-changes'], cwd);
    expect(vocab.code).toBe(2);
    expect(lines(vocab.stderr)).toEqual([expect.stringMatching(/^nanogpt: --resume r: r\/\S+ cannot be continued with vocabulary 15 characters .* → 16 characters .*\(the corpus corpus\.txt\).*: the model, its vocabulary and the optimizer of a run never change$/)]);
  }, 60_000);

  it('the model\'s shape edited in run.json is refused, --accept-changes or not', async () => {
    const cwd = await finished();
    editRunJson(cwd, (o) => (o['nEmbd'] = 32));
    const r = await run(['--resume', 'r', '--accept-changes'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/cannot be continued with n_embd 16 → 32 \(run\.json\): the model, its vocabulary and the optimizer of a run never change$/)]);
  }, 60_000);
});

describe('a checkpoint that does not hold together is damaged: one line naming the file and what disagrees, exit 2', () => {
  let base = '';
  beforeAll(async () => {
    // A run stopped mid-way, after its checkpoint at step 4 (short enough that a resume it wrongly
    // accepted would end).
    base = workdir('nanogpt-damage-', CORPUS);
    const child = spawnGroup(process.execPath, [bin, ...SMALL, '--iters', '400', '--save-every', '4', '--out', 'r'], { cwd: base });
    const done = collect(child);
    await until(() => (loadCheckpoint(ckPath(base))?.step ?? 0) >= 4, 60_000, 'a checkpoint');
    process.kill(child.pid!, 'SIGTERM');
    expect((await done).code).toBe(143);
  }, 90_000);

  type State = { step: number; parameters: Array<{ name: string; buffers?: { momentum?: number[] } }> };
  const cases: Array<[string, (c: Checkpoint) => Checkpoint, RegExp]> = [
    ['"finished": true on a mid-run file', (c) => ({ ...c, finished: true }), /it says finished at step (\d+) of 400/],
    ['step + 1', (c) => ({ ...c, step: c.step + 1 }), /its optimizer state has taken (\d+) steps, the checkpoint \d+/],
    ['the optimizer\'s step ≠ the checkpoint\'s', (c) => ({ ...c, optimizer_state: { ...(c.optimizer_state as State), step: (c.optimizer_state as State).step - 1 } }), /its optimizer state has taken \d+ steps, the checkpoint \d+/],
    ['a NaN weight (not "diverged")', (c) => ({ ...c, weights: { ...c.weights, 'transformer.wte.weight': Float32Array.from(c.weights['transformer.wte.weight']!, (v, i) => (i === 3 ? NaN : v)) } }), /the weights of transformer\.wte\.weight hold NaN at index 3/],
    ['a weight of the wrong size', (c) => ({ ...c, weights: { ...c.weights, 'transformer.ln_f.weight': new Float32Array(3) } }), /the weights of transformer\.ln_f\.weight have 3 values, the model's \[16\] needs 16/],
    ['a missing weight', (c) => ({ ...c, weights: Object.fromEntries(Object.entries(c.weights).filter(([k]) => k !== 'transformer.wpe.weight')) }), /the weights of transformer\.wpe\.weight are missing/],
    ['an evaluation after the step', (c) => ({ ...c, evals: [...c.evals, { ...c.evals[0]!, iter: c.step + 3 }] }), /evaluation \d+ is at iteration \d+, not after \d+ and at most the step \d+/],
    ['a momentum buffer of the wrong length', (c) => {
      const s = c.optimizer_state as State;
      return { ...c, optimizer_state: { ...s, parameters: s.parameters.map((p, i) => (i === 0 && p.buffers?.momentum ? { ...p, buffers: { momentum: p.buffers.momentum.slice(1) } } : p)) } };
    }, /cannot load its optimizer state \(.*transformer\.wte\.weight.*\)/],
  ];
  it.each(cases)('%s', async (_what, damage, message) => {
    const cwd = workdir('nanogpt-damaged-', CORPUS);
    cpSync(join(base, 'r'), join(cwd, 'r'), { recursive: true });
    const good = readCk(cwd);
    saveCheckpoint(ckPath(cwd), damage(good));
    const before = readFileSync(runJson(cwd), 'utf8');
    const r = await run(['--resume', 'r'], cwd);
    expect(r.stdout).toBe(''); // refused before the header: nothing trained, nothing written
    expect(readFileSync(runJson(cwd), 'utf8')).toBe(before);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^nanogpt: checkpoint r/checkpoint-${DEFAULT_OPTIMIZER}\\.\\S+( is damaged)?: ${message.source}`))]);
    expect(r.code).toBe(2);
  }, 60_000);

  it('whatever the damage — 12 random byte changes — one line naming the file, exit 2 (never 1)', async () => {
    const rng = new Random(2323);
    const original = readFileSync(ckPath(base));
    for (let trial = 0; trial < 12; trial++) {
      const cwd = workdir('nanogpt-random-', CORPUS);
      cpSync(join(base, 'r'), join(cwd, 'r'), { recursive: true });
      const bytes = Buffer.from(original);
      for (let k = 0; k <= trial % 3; k++) bytes[rng.int(bytes.length)] = rng.int(256);
      if (bytes.equals(original)) continue;
      writeFileSync(ckPath(cwd), bytes);
      const r = await run(['--resume', 'r'], cwd);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^nanogpt: checkpoint r/checkpoint-${DEFAULT_OPTIMIZER}\\.safetensors is damaged: `))]);
      expect(r.code).toBe(2);
    }
  }, 120_000);

  it('a checkpoint of the JSON format the benchmark wrote before core\'s is refused in one line, and nothing is written', async () => {
    const cwd = workdir('nanogpt-json-', CORPUS);
    cpSync(join(base, 'r'), join(cwd, 'r'), { recursive: true });
    const json = ckPath(cwd).replace(/\.safetensors$/, '.json');
    writeFileSync(json, encodeVersion1(readCk(cwd)));
    rmSync(ckPath(cwd));
    const before = readFileSync(runJson(cwd), 'utf8');
    const r = await run(['--resume', 'r'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`nanogpt: checkpoint r/checkpoint-${DEFAULT_OPTIMIZER}.json is JSON, a format this nanogpt no longer reads: start the run over, or continue it with the nanogpt that wrote it`]);
    expect(existsSync(ckPath(cwd))).toBe(false);
    expect(readFileSync(runJson(cwd), 'utf8')).toBe(before);
  });
});

