import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Claims, readRecords, runQueue } from '../src/bench/queue.js';
import { runRecipePoint } from '../src/bench/recipe.js';
import { runTransferPoint, type TransferPlan } from '../src/bench/transfer.js';
import { charDataset, PAPER_SCION } from '@lmo/gpt';
import { referenceGpt } from '@lmo/gpt';

interface Rec {
  readonly key: string;
  readonly value: number;
}
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && typeof (v as Rec).key === 'string';
const tmp = (): string => mkdtempSync(join(tmpdir(), 'lmo-queue-'));

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('resumable run queue', () => {
  it('skips points already in the file, appends one line per new run, ignores foreign and cut lines', async () => {
    const dir = tmp();
    const file = join(dir, 'r.jsonl');
    writeFileSync(file, `${JSON.stringify({ key: 'b', value: 20 })}\n{"other":1}\n{"key":"c","val`);
    const ran: string[] = [];
    const made = await runQueue<string, Rec>({
      file,
      accept: isRec,
      pending: () => ['a', 'b', 'c'],
      pointKey: (p) => p,
      recordKey: (r) => r.key,
      claims: new Claims(join(dir, 'claims')),
      run: async (p) => {
        ran.push(p);
        return { key: p, value: p.charCodeAt(0) };
      },
    });
    expect(ran).toEqual(['a', 'c']);
    expect(made).toBe(2);
    expect(readRecords(file, isRec).map((r) => r.key)).toEqual(['b', 'a', 'c']);
    expect(readdirSync(join(dir, 'claims'))).toEqual([]); // claims released
  });

  it('re-plans after every run (later points may depend on earlier results)', async () => {
    const dir = tmp();
    const file = join(dir, 'r.jsonl');
    const seen: number[] = [];
    await runQueue<string, Rec>({
      file,
      accept: isRec,
      pending: (records) => {
        seen.push(records.length);
        return records.length < 3 ? [`p${records.length}`] : [];
      },
      pointKey: (p) => p,
      recordKey: (r) => r.key,
      claims: new Claims(join(dir, 'claims')),
      run: async (p) => ({ key: p, value: 0 }),
    });
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('leaves a point claimed by a live process to it, and takes over the claim of a dead one', async () => {
    const dir = tmp();
    const claimsDir = join(dir, 'claims');
    const other = new Claims(claimsDir);
    expect(other.tryClaim('a')).toBe(true); // held by this (live) process
    const mine = new Claims(claimsDir);
    expect(mine.tryClaim('a')).toBe(false);
    other.release('a');
    expect(mine.tryClaim('a')).toBe(true);
    mine.release('a');

    // a stale claim file left by a process that died
    expect(other.tryClaim('b')).toBe(true);
    const [file] = readdirSync(claimsDir);
    writeFileSync(join(claimsDir, file!), String(deadPid()));
    expect(mine.tryClaim('b')).toBe(true);
    expect(JSON.parse(readFileSync(join(claimsDir, file!), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('a worker finds nothing to do while the only pending point is claimed elsewhere', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'claims'));
    const holder = new Claims(join(dir, 'claims'));
    holder.tryClaim('x');
    const made = await runQueue<string, Rec>({
      file: join(dir, 'r.jsonl'),
      accept: isRec,
      pending: () => ['x'],
      pointKey: (p) => p,
      recordKey: (r) => r.key,
      claims: new Claims(join(dir, 'claims')),
      run: async () => {
        throw new Error('must not run');
      },
    });
    expect(made).toBe(0);
  });
});

describe('sweep points on a tiny model (a few steps)', () => {
  const data = charDataset('the quick brown fox jumps over the lazy dog. '.repeat(40));
  const config = { vocabSize: data.vocabSize, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 };

  it('a transfer point trains and records its width, heads, lr, seed and losses', async () => {
    const model = referenceGpt(config);
    const plan: TransferPlan = {
      widths: [16],
      headDim: 8,
      nLayer: 1,
      blockSize: 8,
      batchSize: 2,
      optimizers: ['scion'],
      grids: { scion: [2 ** -6] },
      seed: 1,
      extraSeeds: 0,
      maxExtend: 0,
      iters: 3,
      evalIters: 1,
    };
    const r = await runTransferPoint(model, data, plan, { optimizer: 'scion', width: 16, nHead: 2, lr: 2 ** -6, seed: 1, phase: 'grid' });
    expect(r).toMatchObject({ kind: 'transfer', optimizer: 'scion', width: 16, n_head: 2, lr: 2 ** -6, seed: 1, iters: 3, eval_iters: 1, backend: 'reference' });
    expect(Number.isFinite(r.final_val_loss)).toBe(true);
    expect(r.final_val_loss!).toBeLessThan(Math.log(data.vocabSize) + 1);
  });

  it('a recipe point stores the recipe, its id and the evaluations along the run', async () => {
    const model = referenceGpt(config);
    const recipe = { ...PAPER_SCION, family: 'uscion' as const, schedule: 'linear' as const };
    const r = await runRecipePoint(model, data, { base: PAPER_SCION, set: [], vary: [], seeds: [1], iters: 4, evalIters: 1, evalEvery: 2, batchSize: 2 }, { recipe, seed: 1 });
    expect(r).toMatchObject({ kind: 'recipe', recipe, seed: 1, iters: 4, width: 16, n_head: 2 });
    expect(r.id).toContain('family=uscion');
    expect(r.evals?.map((e) => e.iter)).toEqual([0, 2, 4]);
    expect(r.evals?.[2]?.val_loss).toBeCloseTo(r.final_val_loss!, 4);
  });
});
