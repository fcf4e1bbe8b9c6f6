// --dtype and --compensation: 16-bit weights and optimizer buffers on onnxruntime, in the run's
// identity, its checkpoints and outputs; --resume continues them bit for bit, changes them only
// with --accept-changes; export-torch hands over what scion.py can hold; the engines without
// 16-bit storage refuse it.
import { decodeCheckpoint, decodeSafetensors, stateFromJSON } from '@lmo/core';
import { roundNearest } from '@lmo/core/backend';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../src/run/checkpoint.js';
import { runPaths } from '../src/run/run-dir.js';
import { lines, removeWorkdirs, run, workdir } from './helpers/cli.js';

afterAll(removeWorkdirs);

const SMALL = ['--backend', 'onnxruntime', '--eval-every', '3', '--eval-iters', '2', '--n-layer', '1', '--n-head', '2', '--n-embd', '16', '--block-size', '8', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];
const CORPUS = 'now is the winter of our discontent\n'.repeat(200);

const ck = (dir: string, optimizer = 'scionlight'): Checkpoint => loadCheckpoint(runPaths(dir).checkpoint(optimizer))!;
const records = (dir: string): Array<Record<string, unknown>> => lines(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>);
/** The evaluations: [iter, train_loss, val_loss], every digit. */
const evals = (dir: string): unknown[] => records(dir).filter((r) => r['iter'] !== undefined).map((r) => [r['iter'], r['train_loss'], r['val_loss']]);

async function ok(args: string[], cwd: string): Promise<string> {
  const r = await run(args, cwd);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function refused(args: string[], cwd: string, message: string | RegExp): Promise<void> {
  const before = readdirSync(cwd).sort();
  const r = await run(args, cwd);
  expect(r.code, r.stderr).toBe(2);
  expect(lines(r.stderr)).toHaveLength(1);
  if (typeof message === 'string') expect(lines(r.stderr)[0]).toBe(message);
  else expect(r.stderr).toMatch(message);
  expect(readdirSync(cwd).sort()).toEqual(before);
}

/** Each value of the weights is one `dtype` holds. */
const holdsOnly = (weights: Record<string, Float32Array>, dtype: 'bfloat16' | 'float16'): boolean => Object.values(weights).every((w) => roundNearest(w, dtype).every((v, i) => Object.is(v, w[i])));

describe('16-bit training, stopped and resumed, equals the straight run bit for bit', () => {
  const cases = [
    { optimizer: 'scionlight', storage: ['--dtype', 'bf16', '--compensation', 'kahan'], dtype: 'bfloat16', compensation: 'kahan', buffers: ['compensation', 'gradient'] },
    { optimizer: 'uscion-tuned', storage: ['--dtype', 'fp16', '--compensation', 'stochastic'], dtype: 'float16', compensation: 'stochastic', buffers: ['momentum'] },
  ] as const;
  it.each(cases)('$optimizer, $dtype + $compensation', async ({ optimizer, storage, dtype, compensation, buffers }) => {
    const cwd = workdir('nanogpt-dtype-', CORPUS);
    const straight = await ok([...SMALL, '--optimizer', optimizer, ...storage, '--iters', '6', '--out', 'straight'], cwd);
    expect(straight).toContain(`backend onnxruntime, weights and optimizer buffers ${dtype} + ${compensation}; run`);
    expect(straight).toMatch(new RegExp(`^${optimizer}, ${dtype} \\+ ${compensation}: final val loss \\d\\.\\d{4} \\(best`, 'm'));
    await ok([...SMALL, '--optimizer', optimizer, ...storage, '--iters', '6', '--stop-at', '3', '--out', 'r'], cwd);
    expect(ck(join(cwd, 'r'), optimizer)).toMatchObject({ step: 3, dtype, compensation });
    expect(await ok(['--resume', 'r'], cwd)).toContain(`${optimizer}: resuming at step 3 of 6 from r/checkpoint-${optimizer}.safetensors\n`);

    expect(evals(join(cwd, 'r'))).toEqual(evals(join(cwd, 'straight')));
    const [a, b] = [ck(join(cwd, 'r'), optimizer), ck(join(cwd, 'straight'), optimizer)];
    expect(a.weights).toEqual(b.weights);
    expect(a.optimizer_state).toEqual(b.optimizer_state);
    // stored in the dtype: the weights, and every optimizer buffer (marked so in the state)
    expect(holdsOnly(a.weights, dtype)).toBe(true);
    const state = stateFromJSON(a.optimizer_state);
    for (const p of state.parameters.filter((q) => q.buffers !== undefined)) {
      expect(Object.keys(p.buffers!).sort()).toEqual(buffers);
      expect(p.dtypes).toEqual(Object.fromEntries(buffers.map((k) => [k, dtype])));
    }
    expect(records(join(cwd, 'straight')).at(-1)).toMatchObject({ summary: true, optimizer, dtype, compensation });
  }, 120_000);
});

describe('the storage is part of the run', () => {
  it('--resume with another --dtype or --compensation is refused naming both values; --accept-changes converts (widening exactly)', async () => {
    const cwd = workdir('nanogpt-dtype-', CORPUS);
    await ok([...SMALL, '--optimizer', 'scionlight', '--dtype', 'bfloat16', '--compensation', 'kahan', '--iters', '6', '--stop-at', '3', '--out', 'r'], cwd);
    cpSync(join(cwd, 'r'), join(cwd, 'keep'), { recursive: true });
    const file = 'r/checkpoint-scionlight.safetensors';
    await refused(['--resume', 'r', '--dtype', 'float32', '--compensation', 'none'], cwd, `nanogpt: --resume r: changed since ${file} was written: dtype bfloat16 → float32 (--dtype), compensation kahan → none (--compensation); pass --accept-changes to continue with these changes, or undo them`);
    await refused(['--resume', 'r', '--compensation', 'stochastic'], cwd, `nanogpt: --resume r: changed since ${file} was written: compensation kahan → stochastic (--compensation); pass --accept-changes to continue with this change, or undo it`);
    await refused(['--resume', 'r', '--dtype', 'float32'], cwd, 'nanogpt: --compensation kahan is for 16-bit weights: give it with --dtype bfloat16 or float16 (float32 weights lose no updates to rounding)');

    const saved = ck(join(cwd, 'r'));
    const out = await ok(['--resume', 'r', '--dtype', 'float32', '--compensation', 'none', '--accept-changes'], cwd);
    expect(out).toContain(
      `scionlight: resuming at step 3 of 6 with dtype bfloat16 → float32, compensation kahan → none from ${file}; the weights and optimizer buffers widened to float32 exactly, the Kahan compensation folded into the weights`,
    );
    expect(ck(join(cwd, 'r'))).toMatchObject({ step: 6, dtype: 'float32', compensation: 'none', finished: true });
    expect(JSON.parse(readFileSync(join(cwd, 'r', 'run.json'), 'utf8')).changes[0]).toMatchObject({ step: 3, changed: { dtype: ['bfloat16', 'float32'], compensation: ['kahan', 'none'] } });
    expect(saved.dtype).toBe('bfloat16');

    // narrowing: the kept copy continued in float16 without compensation
    const narrowed = await ok(['--resume', 'keep', '--dtype', 'fp16', '--compensation', 'none', '--accept-changes'], cwd);
    expect(narrowed).toContain('the weights and optimizer buffers rounded to float16, to nearest even, the Kahan compensation folded into the weights');
    expect(holdsOnly(ck(join(cwd, 'keep')).weights, 'float16')).toBe(true);
  }, 120_000);

  it('a checkpoint from before --dtype (no dtype recorded) resumes as float32, to the straight run\'s losses', async () => {
    const cwd = workdir('nanogpt-dtype-', CORPUS);
    await ok([...SMALL, '--optimizer', 'scionlight', '--iters', '6', '--out', 'straight'], cwd);
    await ok([...SMALL, '--optimizer', 'scionlight', '--iters', '6', '--stop-at', '3', '--out', 'r'], cwd);
    const path = runPaths(join(cwd, 'r')).checkpoint('scionlight');
    const { dtype: _d, compensation: _c, ...old } = loadCheckpoint(path)!;
    expect(_d).toBe('float32');
    saveCheckpoint(path, old as unknown as Checkpoint);
    expect(decodeCheckpoint(readFileSync(path)).metadata['run']).not.toHaveProperty('dtype');
    expect(loadCheckpoint(path)).toMatchObject({ dtype: 'float32', compensation: 'none' });
    await refused(['--resume', 'r', '--dtype', 'bf16'], cwd, /dtype float32 → bfloat16 \(--dtype\); pass --accept-changes/);
    await ok(['--resume', 'r'], cwd);
    expect(evals(join(cwd, 'r'))).toEqual(evals(join(cwd, 'straight')));
  }, 120_000);

  it('export-torch: 16-bit weights hand over as their float32 values; Kahan compensation buffers are refused by name, nothing written', async () => {
    const cwd = workdir('nanogpt-dtype-', CORPUS);
    await ok([...SMALL, '--optimizer', 'scionlight', '--dtype', 'bf16', '--iters', '6', '--stop-at', '3', '--out', 'plain'], cwd);
    await ok(['export-torch', 'plain', '--to', 'b'], cwd);
    const model = decodeSafetensors(readFileSync(join(cwd, 'b', 'model.safetensors')));
    const weights = ck(join(cwd, 'plain')).weights;
    for (const [name, w] of Object.entries(weights)) expect(model.tensors.get(name)!.data).toEqual(w);

    await ok([...SMALL, '--optimizer', 'scionlight', '--dtype', 'bf16', '--compensation', 'kahan', '--iters', '6', '--stop-at', '3', '--out', 'kahan'], cwd);
    const before = readdirSync(join(cwd, 'kahan')).sort();
    const r = await run(['export-torch', 'kahan'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      'nanogpt export-torch: checkpoint kahan/checkpoint-scionlight.safetensors: its bfloat16 weights keep Kahan compensation buffers, which scion.py has no place for: a run with --compensation none or stochastic hands over (as its exact float32 values)',
    ]);
    expect(readdirSync(join(cwd, 'kahan')).sort()).toEqual(before);
  }, 120_000);
});

describe('refused before anything is written: exit 2, one line', () => {
  it.each([
    [['--backend', 'tfjs-cpu', '--dtype', 'bf16'], 'nanogpt: --dtype bfloat16: backend tfjs-cpu stores its weights in float32 only (16-bit weights train on onnxruntime)'],
    [['--backend', 'reference', '--dtype', 'float16'], 'nanogpt: --dtype float16: backend reference stores its weights in float32 only (16-bit weights train on onnxruntime)'],
    [['--compensation', 'kahan'], 'nanogpt: --compensation kahan is for 16-bit weights: give it with --dtype bfloat16 or float16 (float32 weights lose no updates to rounding)'],
    [['--dtype', 'bf8'], `nanogpt: option '--dtype <dtype>' argument 'bf8' is invalid. expected a dtype: float32, bfloat16, float16 (or bf16, fp16), got "bf8"`],
    [['--dtype', 'bf16', '--compensation', 'round'], `nanogpt: option '--compensation <how>' argument 'round' is invalid. expected a compensation: none, kahan, stochastic, got "round"`],
  ])('%j', async (args, message) => {
    const cwd = workdir('nanogpt-dtype-', CORPUS);
    await refused([...SMALL, '--iters', '2', ...args, '--out', 'r'], cwd, message);
    expect(existsSync(join(cwd, 'r'))).toBe(false);
  }, 60_000);
});
