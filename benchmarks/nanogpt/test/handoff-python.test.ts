import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random, scheduleToJSON, warmupStableDecay, constant, product, cosineDecay, type Schedule } from '@lmo/core';
import { BatchSampler, charDataset, scheduleFor, type OptimizerName, type RunSettings } from '@lmo/gpt';
import { createModel } from '@lmo/gpt/node';
import { lmoRun, torchRun, writeInitialBundle, type RunLog } from '../src/handoff/runs.js';
import { createHash } from 'node:crypto';

// The PyTorch side of the handoff, where /usr/bin/python3 has torch (skipped elsewhere, e.g. in CI):
// lmo's generator, batches and schedules bit for bit, and a run handed over both ways.
const PYTHON = '/usr/bin/python3';
const torchDir = fileURLToPath(new URL('../torch', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Runs Python code in torch/ with JSON in and out. */
function python<T>(code: string, input: unknown): T {
  const r = spawnSync(PYTHON, ['-c', `import json, sys\n${code}`], { cwd: torchDir, input: JSON.stringify(input), encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as T;
}

/** A corpus of words over a small alphabet (a few thousand characters), written to a file. */
function corpus(): { path: string; text: string } {
  const rng = new Random(7);
  const words = ['the ', 'cat ', 'sat\n', 'on ', 'a ', 'mat. ', 'O, ', 'ROMEO: ', 'é ', 'to be '];
  const text = Array.from({ length: 1200 }, () => words[rng.int(words.length)]).join('');
  const path = join(mkdtempSync(join(tmpdir(), 'nanogpt-handoff-data-')), 'corpus.txt');
  writeFileSync(path, text);
  return { path, text };
}

describe.skipIf(!hasTorch)("lmo's generator, batches and schedules in Python (needs python3-torch)", () => {
  it('the generator gives the same stream, bit for bit', () => {
    const seeds = [0, 1, 1337, 0xffffffff, -5, 0x7f4a7c15];
    const js = seeds.map((seed) => {
      const r = new Random(seed);
      return {
        u32: Array.from({ length: 300 }, () => r.nextUint32()),
        int: Array.from({ length: 300 }, (_, i) => r.int(1 + i * 3571)),
        uniform: Array.from({ length: 50 }, () => r.uniform()),
        normal: Array.from({ length: 301 }, () => r.normal()),
      };
    });
    const py = python<typeof js>(
      [
        'from lmo_data import Random',
        'out = []',
        'for seed in json.load(sys.stdin):',
        '    r = Random(seed)',
        '    out.append({"u32": [r.next_uint32() for _ in range(300)], "int": [r.int(1 + i * 3571) for i in range(300)],',
        '                "uniform": [r.uniform() for _ in range(50)], "normal": [r.normal() for _ in range(301)]})',
        'print(json.dumps(out))',
      ].join('\n'),
      seeds,
    );
    for (let i = 0; i < seeds.length; i++) {
      expect(py[i]!.u32, `seed ${seeds[i]}`).toEqual(js[i]!.u32);
      expect(py[i]!.int).toEqual(js[i]!.int);
      expect(py[i]!.uniform).toEqual(js[i]!.uniform);
      // Box–Muller goes through log, sin and cos, which two libms may round differently in the last bit
      py[i]!.normal.forEach((v, k) => expect(Math.abs(v - js[i]!.normal[k]!)).toBeLessThanOrEqual(Math.abs(v) * 4 * Number.EPSILON));
    }
  });

  it('the corpus splits and the batch streams are the same, skips included', () => {
    const { path, text } = corpus();
    const data = charDataset(text);
    const sampler = new BatchSampler(data.train, 3, 16, 99);
    const copy = (b: { x: Int32Array; y: Int32Array }): number[][] => [Array.from(b.x), Array.from(b.y)]; // next() reuses its arrays
    const js = [copy(sampler.next()), copy(sampler.next())];
    sampler.skip(5);
    js.push([Array.from(sampler.next().x), Array.from(sampler.next().y)]);
    const py = python<{ chars: string[]; train: number; val: number; batches: number[][][] }>(
      [
        'from lmo_data import BatchSampler, CharDataset',
        'path = json.load(sys.stdin)',
        'data = CharDataset.read(path)',
        's = BatchSampler(data.train, 3, 16, 99)',
        'batches = [[t.flatten().tolist() for t in s.next()] for _ in range(2)]',
        's.skip(5)',
        'x, _ = s.next()',
        '_, y = s.next()',
        'batches.append([x.flatten().tolist(), y.flatten().tolist()])',
        'print(json.dumps({"chars": data.chars, "train": len(data.train), "val": len(data.val), "batches": batches}))',
      ].join('\n'),
      path,
    );
    expect(py.chars).toEqual(data.chars);
    expect([py.train, py.val]).toEqual([data.train.length, data.val.length]);
    expect(py.batches).toEqual(js);
  });

  it("each schedule kind gives the same factors as core's", () => {
    const schedules: Schedule[] = [
      scheduleFor('uscion-tuned', 50),
      scheduleFor('scion', 50),
      warmupStableDecay({ warmup: 5, total: 50, decay: 10, final: 0.1 }),
      product(constant(0.5), cosineDecay(30, 0.2)),
    ];
    const specs = schedules.map(scheduleToJSON);
    const py = python<number[][]>('from schedules import schedule\nprint(json.dumps([[schedule(s)(t) for t in range(60)] for s in json.load(sys.stdin)]))', specs);
    schedules.forEach((s, i) => py[i]!.forEach((v, t) => expect(Math.abs(v - s(t)), `${JSON.stringify(specs[i])} at ${t}`).toBeLessThanOrEqual(1e-15)));
  });
});

/** The largest relative difference of the losses logged at the same iterations. */
function maxRelative(a: RunLog, b: RunLog, from: number, to: number): number {
  const byIter = new Map(b.iters.map((r) => [r.iter, r.loss]));
  let worst = 0;
  let n = 0;
  for (const r of a.iters) {
    if (r.iter < from || r.iter >= to) continue;
    worst = Math.max(worst, Math.abs(r.loss - byIter.get(r.iter)!) / Math.abs(byIter.get(r.iter)!));
    n++;
  }
  expect(n).toBe(to - from);
  return worst;
}

describe.skipIf(!hasTorch)('a run handed to PyTorch and back (needs python3-torch)', () => {
  const { path, text } = corpus();
  const data = charDataset(text);
  const config = { vocabSize: data.vocabSize, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 };
  const settings = { iters: 8, batchSize: 4, evalEvery: 4, evalIters: 2, seed: 5 };
  const run = (optimizer: OptimizerName): RunSettings => ({ optimizer, lr: 2 ** -6, config, settings, dataHash: createHash('sha256').update(readFileSync(path)).digest('hex') });
  const tmp = (): string => mkdtempSync(join(tmpdir(), 'nanogpt-handoff-'));

  it.each(['uscion-tuned', 'scion', 'scionlight'] as const)('%s: lmo → PyTorch (one process) → lmo, the same losses as straight runs to 1e-4', async (optimizer) => {
    const model = await createModel('reference', config);
    const s = run(optimizer);
    const half = tmp();
    const straight = await lmoRun(model, data, s, { bundles: { 4: half } });
    const back = tmp();
    const torch = await torchRun({ python: PYTHON, from: half, out: back, data: path });
    expect(torch.iters.map((r) => r.iter)).toEqual([4, 5, 6, 7]);
    expect(maxRelative(torch, straight, 4, 8)).toBeLessThan(1e-4);
    for (const e of torch.evals) expect(Math.abs(e.val_loss - straight.evals.find((x) => x.iter === e.iter)!.val_loss)).toBeLessThan(1e-4 * e.val_loss);

    // the bundle PyTorch wrote resumes in lmo: at the end of the run, its evaluations kept
    const end = await lmoRun(model, data, s, { from: back });
    expect(end.iters).toEqual([]);
    expect(end.evals.map((e) => e.iter)).toEqual([0, 4, 8]);
    expect(Math.abs(end.evals[2]!.val_loss - straight.evals[2]!.val_loss)).toBeLessThan(1e-4 * straight.evals[2]!.val_loss);
    await model.dispose();
  }, 60_000);

  it.each(['uscion-tuned', 'scionlight'] as const)('%s: PyTorch from lmo\'s step 0 → lmo: the same losses as PyTorch straight to 1e-4', async (optimizer) => {
    const model = await createModel('reference', config);
    const s = run(optimizer);
    const start = tmp();
    await writeInitialBundle(model, s, start);
    const half = tmp();
    const torch = await torchRun({ python: PYTHON, from: start, out: tmp(), data: path, saveAt: { step: 4, dir: half } });
    expect(torch.iters.map((r) => r.iter)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const lmo = await lmoRun(model, data, s, { from: half });
    expect(lmo.iters.map((r) => r.iter)).toEqual([4, 5, 6, 7]);
    expect(maxRelative(lmo, torch, 4, 8)).toBeLessThan(1e-4);
    await model.dispose();
  }, 60_000);

  // Each process takes half of every batch; ScionLight's gradient buffer is p.grad itself, which DDP averages with the new gradient in it.
  it.each(['scion', 'scionlight'] as const)('%s: lmo → PyTorch DDP (torchrun, 2 processes): the same losses to 1e-4', async (optimizer) => {
    const model = await createModel('reference', config);
    const s = run(optimizer);
    const half = tmp();
    const straight = await lmoRun(model, data, s, { bundles: { 4: half } });
    const ddp = await torchRun({ python: PYTHON, from: half, out: tmp(), data: path, processes: 2 });
    expect(maxRelative(ddp, straight, 4, 8)).toBeLessThan(1e-4);
    await model.dispose();
  }, 300_000); // PyTorch processes starting on a loaded 2-core machine
});
