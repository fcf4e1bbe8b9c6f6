import { type CharDataset, type GptModel, type GPTConfig, type OptimizerName, trainWith } from '@lmo/gpt';
import { lossOf } from '../report/sweep-record.js';
import { argminFinite, type TransferRecord } from '../report/transfer-report.js';
import { sweepRecord, sweepRun } from './sweep-run.js';

/**
 * The learning-rate transfer sweep: nanoGPT's GPT at several widths (heads scaled to keep the head
 * dimension), an lr grid per optimizer, one seed per point; a grid whose best lr lies at its edge is
 * extended by the grid's ratio (up to `maxExtend` points per side), then `extraSeeds` more seeds run
 * at each curve's best lr.
 */
export interface TransferPlan {
  readonly widths: readonly number[];
  readonly headDim: number;
  readonly nLayer: number;
  readonly blockSize: number;
  readonly batchSize: number;
  readonly optimizers: readonly OptimizerName[];
  /** The starting lr grid of each optimizer (ascending, constant ratio). */
  readonly grids: Readonly<Record<string, readonly number[]>>;
  /**
   * Widths (the costly ones) that start from the middle of each grid only — the points within one
   * grid step of its centre — and add lrs beyond them only to bracket their minimum.
   */
  readonly sparseWidths?: readonly number[];
  readonly seed: number;
  readonly extraSeeds: number;
  readonly maxExtend: number;
  readonly iters: number;
  readonly evalIters: number;
}

/** One run of the sweep. */
export interface TransferPoint {
  readonly optimizer: OptimizerName;
  readonly width: number;
  readonly nHead: number;
  readonly lr: number;
  readonly seed: number;
  readonly phase: 'grid' | 'extend' | 'seed';
}

/** Identity of a point in a results file (records of other lengths or eval sizes do not count). */
export function pointKey(p: Pick<TransferPoint, 'optimizer' | 'width' | 'lr' | 'seed'>, plan: Pick<TransferPlan, 'iters' | 'evalIters'>): string {
  return `${p.optimizer}|${p.width}|${p.lr}|${p.seed}|${plan.iters}|${plan.evalIters}`;
}

export function recordKey(r: TransferRecord): string {
  return `${r.optimizer}|${r.width}|${r.lr}|${r.seed}|${r.iters}|${r.eval_iters}`;
}

/** Whether `r` belongs to this plan's sweep (same length, eval size and model shape). */
export function inPlan(r: TransferRecord, plan: TransferPlan): boolean {
  return (
    r.iters === plan.iters &&
    r.eval_iters === plan.evalIters &&
    r.n_layer === plan.nLayer &&
    r.block_size === plan.blockSize &&
    r.batch_size === plan.batchSize &&
    r.n_head * plan.headDim === r.width
  );
}

/** Checks a plan (usage errors are the caller's: this throws RangeError with the reason). */
export function checkPlan(plan: TransferPlan): void {
  for (const w of plan.widths) {
    if (!Number.isInteger(w) || w < plan.headDim || w % plan.headDim !== 0) {
      throw new RangeError(`width ${w} is not a positive multiple of the head dimension ${plan.headDim}`);
    }
  }
  for (const opt of plan.optimizers) {
    const grid = plan.grids[opt];
    if (!grid || grid.length === 0) throw new RangeError(`no lr grid for optimizer ${opt}`);
    for (let i = 1; i < grid.length; i++) {
      if (!(grid[i]! > grid[i - 1]!)) throw new RangeError(`the lr grid of ${opt} must be ascending: ${grid.join(', ')}`);
    }
  }
}

/** The grid of `optimizer` at `width`: the whole grid, or its middle for a sparse width. */
export function gridAt(plan: TransferPlan, optimizer: string, width: number): readonly number[] {
  const grid = plan.grids[optimizer]!;
  if (!plan.sparseWidths?.includes(width)) return grid;
  const centre = (grid.length - 1) / 2;
  return grid.filter((_, i) => Math.abs(i - centre) <= 1);
}

/** Grid points ordered centre-out (all widths at the middle lr first), so partial results cover every width. */
export function gridPoints(plan: TransferPlan): TransferPoint[] {
  const points: (TransferPoint & { ring: number; order: number })[] = [];
  let order = 0;
  for (const optimizer of plan.optimizers) {
    const grid = plan.grids[optimizer]!;
    const centre = (grid.length - 1) / 2;
    grid.forEach((lr, i) => {
      for (const width of plan.widths) {
        if (!gridAt(plan, optimizer, width).includes(lr)) continue;
        points.push({ optimizer, width, nHead: width / plan.headDim, lr, seed: plan.seed, phase: 'grid', ring: Math.abs(i - centre), order: order++ });
      }
    });
  }
  points.sort((a, b) => a.ring - b.ring || a.order - b.order);
  return points.map(({ ring: _r, order: _o, ...p }) => p);
}

/**
 * The points still to run given the records so far: unfinished grid points first; then, for each
 * curve whose grid is complete, one more lr beyond an edge holding the minimum (or below, when every
 * run diverged), and, once the minimum is bracketed or the extensions are used up, the extra seeds
 * at the best lr.
 */
export function pendingPoints(plan: TransferPlan, records: readonly TransferRecord[]): TransferPoint[] {
  const mine = records.filter((r) => inPlan(r, plan));
  const done = new Set(mine.map(recordKey));
  const todo = gridPoints(plan).filter((p) => !done.has(pointKey(p, plan)));
  const later: TransferPoint[] = [];
  for (const optimizer of plan.optimizers) {
    const full = plan.grids[optimizer]!;
    const ratio = full.length > 1 ? full[1]! / full[0]! : 2;
    for (const width of plan.widths) {
      const grid = gridAt(plan, optimizer, width);
      const nHead = width / plan.headDim;
      if (grid.some((lr) => !done.has(pointKey({ optimizer, width, lr, seed: plan.seed }, plan)))) continue;
      const tried = mine
        .filter((r) => r.optimizer === optimizer && r.width === width && r.seed === plan.seed)
        .sort((a, b) => a.lr - b.lr);
      const losses = tried.map(lossOf);
      const best = argminFinite(losses);
      const below = tried.filter((r) => r.lr < grid[0]! * (1 - 1e-9)).length;
      const above = tried.filter((r) => r.lr > grid[grid.length - 1]! * (1 + 1e-9)).length;
      const lowest = tried[0]!.lr;
      const highest = tried[tried.length - 1]!.lr;
      if ((best < 0 || best === 0) && below < plan.maxExtend) {
        later.push({ optimizer, width, nHead, lr: lowest / ratio, seed: plan.seed, phase: 'extend' });
        continue;
      }
      if (best >= 0 && best === tried.length - 1 && above < plan.maxExtend) {
        later.push({ optimizer, width, nHead, lr: highest * ratio, seed: plan.seed, phase: 'extend' });
        continue;
      }
      if (best < 0) continue;
      const lr = tried[best]!.lr;
      for (let s = 1; s <= plan.extraSeeds; s++) {
        const p: TransferPoint = { optimizer, width, nHead, lr, seed: plan.seed + s, phase: 'seed' };
        if (!done.has(pointKey(p, plan))) later.push(p);
      }
    }
  }
  return [...todo, ...later];
}

/** Trains one point on `model` (built for its width) and returns its record. */
export async function runTransferPoint<T>(
  model: GptModel<T>,
  data: CharDataset,
  plan: TransferPlan,
  p: TransferPoint,
): Promise<TransferRecord> {
  const settings = { iters: plan.iters, batchSize: plan.batchSize, evalEvery: plan.iters, evalIters: plan.evalIters, seed: p.seed };
  const run = await sweepRun(model, () => trainWith(model, data, p.optimizer, p.lr, settings));
  return { kind: 'transfer', optimizer: p.optimizer, lr: p.lr, ...sweepRecord(model, settings, run) };
}

/** The model shape of a width. */
export function configAt(plan: TransferPlan, width: number, vocabSize: number): GPTConfig {
  return { vocabSize, blockSize: plan.blockSize, nLayer: plan.nLayer, nHead: width / plan.headDim, nEmbd: width };
}
