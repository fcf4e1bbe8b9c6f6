import type { MaybePromise, TensorBackend } from '@lmo/core';
import { BatchSampler, type CharDataset } from '../data/char-dataset.js';
import type { ModelBackend, ParamMap } from '../model/backend.js';
import type { TrainOptimizer } from '../optim/types.js';

/** How long and how to train. */
export interface TrainSettings {
  readonly iters: number;
  readonly batchSize: number;
  readonly evalEvery: number;
  readonly evalIters: number;
  readonly seed: number;
}

/** One evaluation: the JSON-lines record (names as documented). */
export interface EvalRecord {
  readonly iter: number;
  readonly train_loss: number;
  readonly val_loss: number;
  readonly lr: number;
  /** Mean wall time of the training iterations since the previous evaluation (eval excluded). */
  readonly ms_per_iter: number;
}

/** What a run measured. */
export interface TrainResult {
  readonly evals: EvalRecord[];
  readonly finalValLoss: number;
  readonly bestValLoss: number;
  readonly tokensPerS: number;
  readonly msFwdBwd: number;
  readonly msOptimizer: number;
  readonly trainSeconds: number;
}

/** Progress callbacks (the CLI draws a bar or prints lines). */
export interface TrainHooks {
  onIter?(iter: number, loss: number, lr: number, tokensPerS: number): void;
  onEval?(record: EvalRecord): void;
  onEvalStart?(iter: number): void;
}

/** Seeds of the two batch streams, derived from the run seed (init uses the seed itself). */
export function batchSeeds(seed: number): { train: number; eval: number } {
  return { train: (seed ^ 0x7f4a7c15) >>> 0, eval: (seed ^ 0x2545f491) >>> 0 };
}

async function settle<V>(v: MaybePromise<V>): Promise<V> {
  return v;
}

/**
 * Mean loss over `evalIters` batches of each split, the same batches at every evaluation (a fixed
 * eval stream), like nanoGPT's `estimate_loss`.
 */
export async function estimateLoss<T>(
  model: ModelBackend<T>,
  params: ParamMap<T>,
  data: CharDataset,
  s: TrainSettings,
): Promise<{ train: number; val: number }> {
  const out = { train: 0, val: 0 };
  for (const split of ['train', 'val'] as const) {
    const sampler = new BatchSampler(data[split], s.batchSize, model.config.blockSize, batchSeeds(s.seed).eval, split);
    let sum = 0;
    for (let i = 0; i < s.evalIters; i++) sum += await settle(model.loss(params, sampler.next()));
    out[split] = sum / s.evalIters;
  }
  return out;
}

/**
 * One optimizer update from fresh gradients. ScionLight keeps its momentum in the optimizer's
 * accumulators: `G ← G + g` first, then the step on G (which scales G by 1 − α).
 */
export async function applyUpdate<T>(tensors: TensorBackend<T>, optimizer: TrainOptimizer<T>, grads: ParamMap<T>): Promise<void> {
  const acc = optimizer.accumulators;
  if (acc === undefined) return settle(optimizer.step(grads));
  await settle(
    tensors.run(() => {
      const sums = [...acc].map(([name, G]) => [G, tensors.add(G, grads.get(name)!)] as const);
      for (const [G, v] of sums) tensors.assign(G, v);
    }),
  );
  await settle(optimizer.step(acc));
}

/**
 * nanoGPT's training loop: evaluate every `evalEvery` iterations (iteration 0 and the last
 * included), one batch per iteration, one optimizer step per batch. Times forward+backward and the
 * optimizer separately.
 */
export async function train<T>(
  model: ModelBackend<T>,
  params: ParamMap<T>,
  optimizer: TrainOptimizer<T>,
  data: CharDataset,
  s: TrainSettings,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const T = model.config.blockSize;
  const sampler = new BatchSampler(data.train, s.batchSize, T, batchSeeds(s.seed).train, 'train');
  const evals: EvalRecord[] = [];
  const tensors = model.tensors;
  let fwdBwd = 0;
  let opt = 0;
  let sinceEvalMs = 0;
  let sinceEvalIters = 0;
  const started = performance.now();
  for (let iter = 0; iter <= s.iters; iter++) {
    if (iter % s.evalEvery === 0 || iter === s.iters) {
      hooks.onEvalStart?.(iter);
      const losses = await estimateLoss(model, params, data, s);
      if (!Number.isFinite(losses.train) || !Number.isFinite(losses.val)) {
        throw new Error(`loss is not finite at iteration ${iter} (train ${losses.train}, val ${losses.val}): the run diverged`);
      }
      const record: EvalRecord = {
        iter,
        train_loss: losses.train,
        val_loss: losses.val,
        lr: optimizer.currentLr(),
        ms_per_iter: sinceEvalIters > 0 ? sinceEvalMs / sinceEvalIters : 0,
      };
      evals.push(record);
      hooks.onEval?.(record);
      sinceEvalMs = 0;
      sinceEvalIters = 0;
    }
    if (iter === s.iters) break;
    const lr = optimizer.currentLr();
    const t0 = performance.now();
    const { loss, grads } = await settle(model.lossAndGrads(params, sampler.next()));
    const t1 = performance.now();
    await applyUpdate(tensors, optimizer, grads);
    const t2 = performance.now();
    if (!Number.isFinite(loss)) throw new Error(`training loss is not finite at iteration ${iter}: the run diverged`);
    fwdBwd += t1 - t0;
    opt += t2 - t1;
    sinceEvalMs += t2 - t0;
    sinceEvalIters++;
    const done = iter + 1;
    hooks.onIter?.(iter, loss, lr, (done * s.batchSize * T * 1000) / (fwdBwd + opt));
  }
  const n = Math.max(1, s.iters);
  const last = evals[evals.length - 1]!;
  return {
    evals,
    finalValLoss: last.val_loss,
    bestValLoss: Math.min(...evals.map((e) => e.val_loss)),
    tokensPerS: s.iters > 0 ? (s.iters * s.batchSize * T * 1000) / (fwdBwd + opt) : 0,
    msFwdBwd: fwdBwd / n,
    msOptimizer: opt / n,
    trainSeconds: (performance.now() - started) / 1000,
  };
}

