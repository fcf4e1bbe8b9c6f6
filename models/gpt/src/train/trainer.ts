import type { MaybePromise } from '@lmo/core/backend';
import { BatchSampler, type CharDataset } from '../data/char-dataset.js';
import type { GptSession, GptTraining } from '../model.js';
import type { TrainOptimizer } from '../optim/types.js';
import type { TrainStorage } from '../optim/storage.js';

/** How long and how to train. */
export interface TrainSettings {
  readonly iters: number;
  readonly batchSize: number;
  readonly evalEvery: number;
  readonly evalIters: number;
  readonly seed: number;
  /** How the weights and the optimizer's buffers are stored (default: float32). */
  readonly storage?: TrainStorage;
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

/** Time spent so far, carried across a checkpoint and resume. */
export interface TrainTiming {
  readonly fwd_bwd_ms: number;
  readonly optimizer_ms: number;
  /** Training time and iterations since the last evaluation (for its `ms_per_iter`). */
  readonly since_eval_ms: number;
  readonly since_eval_iters: number;
  readonly seconds: number;
}

/** Where training starts: 0 steps, or what a checkpoint restored. */
export interface TrainStart {
  /** Optimizer steps already taken (= training batches already drawn). */
  readonly step: number;
  readonly evals: readonly EvalRecord[];
  readonly timing: TrainTiming;
}

export const FRESH_START: TrainStart = {
  step: 0,
  evals: [],
  timing: { fwd_bwd_ms: 0, optimizer_ms: 0, since_eval_ms: 0, since_eval_iters: 0, seconds: 0 },
};

/** What a run measured. */
export interface TrainResult {
  readonly evals: EvalRecord[];
  readonly finalValLoss: number;
  readonly bestValLoss: number;
  readonly tokensPerS: number;
  readonly msFwdBwd: number;
  readonly msOptimizer: number;
  readonly trainSeconds: number;
  /** Steps taken when it returned: `iters`, or fewer when a stop was requested. */
  readonly step: number;
  readonly stopped: boolean;
  readonly timing: TrainTiming;
}

/** The loss became NaN or infinite: the run diverged (at `iter`; `what` says which loss). */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
  constructor(
    readonly iter: number,
    readonly what: string,
  ) {
    super(`${what} is not finite at iteration ${iter}: the run diverged`);
  }
}

/** Progress callbacks (the CLI draws a bar or prints lines). */
export interface TrainHooks {
  onIter?(iter: number, loss: number, lr: number, tokensPerS: number): void;
  onEval?(record: EvalRecord): MaybePromise<void>;
  onEvalStart?(iter: number): void;
  /** After each optimizer step (`step` steps done): where checkpoints are written. */
  afterStep?(step: number, state: TrainStart): MaybePromise<void>;
  /** Asked after each step: stop there (the result then says `stopped`). */
  shouldStop?(): boolean;
}

/** Seeds of the two batch streams, derived from the run seed (init uses the seed itself). */
export function batchSeeds(seed: number): { train: number; eval: number } {
  return { train: (seed ^ 0x7f4a7c15) >>> 0, eval: (seed ^ 0x2545f491) >>> 0 };
}

/**
 * Mean loss over `evalIters` batches of each split, the same batches at every evaluation (a fixed
 * eval stream), like nanoGPT's `estimate_loss`. `undefined` when `shouldStop` says so between
 * batches (a long evaluation does not delay a stop).
 */
export async function estimateLoss<T>(
  model: GptSession<T>,
  data: CharDataset,
  s: TrainSettings,
  shouldStop?: () => boolean,
): Promise<{ train: number; val: number } | undefined> {
  const out = { train: 0, val: 0 };
  for (const split of ['train', 'val'] as const) {
    const sampler = new BatchSampler(data[split], s.batchSize, model.config.blockSize, batchSeeds(s.seed).eval, split);
    let sum = 0;
    for (let i = 0; i < s.evalIters; i++) {
      sum += await model.loss(sampler.next());
      if (shouldStop !== undefined) {
        await new Promise((r) => setTimeout(r, 0)); // let a signal (or a page's stop button) in: a macrotask, as browsers have no setImmediate
        if (shouldStop()) return undefined;
      }
    }
    out[split] = sum / s.evalIters;
  }
  return out;
}

/**
 * nanoGPT's training loop: evaluate every `evalEvery` iterations (iteration 0 and the last
 * included), one batch per iteration, one training step per batch. Times forward+backward and the
 * optimizer separately (the optimizer's share is the time spent in its `step`).
 */
export async function train<T>(
  model: GptTraining<T, TrainOptimizer<T>>,
  data: CharDataset,
  s: TrainSettings,
  hooks: TrainHooks = {},
  start: TrainStart = FRESH_START,
): Promise<TrainResult> {
  const { optimizer } = model;
  const T = model.config.blockSize;
  const sampler = new BatchSampler(data.train, s.batchSize, T, batchSeeds(s.seed).train, 'train');
  sampler.skip(start.step); // continue the batch stream where the checkpoint left it
  const evals: EvalRecord[] = [...start.evals];
  let fwdBwd = start.timing.fwd_bwd_ms;
  let opt = start.timing.optimizer_ms;
  let sinceEvalMs = start.timing.since_eval_ms;
  let sinceEvalIters = start.timing.since_eval_iters;
  const started = performance.now();
  const timing = (): TrainTiming => ({
    fwd_bwd_ms: fwdBwd,
    optimizer_ms: opt,
    since_eval_ms: sinceEvalMs,
    since_eval_iters: sinceEvalIters,
    seconds: start.timing.seconds + (performance.now() - started) / 1000,
  });
  // Steps taken elsewhere, whose time is not known (a run handed back from PyTorch): left out of tokens/s.
  const untimed = start.timing.fwd_bwd_ms + start.timing.optimizer_ms === 0 ? start.step : 0;
  let stopped = false;
  let iter = start.step;
  for (; iter <= s.iters; iter++) {
    if (iter % s.evalEvery === 0 || iter === s.iters) {
      hooks.onEvalStart?.(iter);
      const losses = await estimateLoss(model, data, s, hooks.shouldStop);
      if (losses === undefined) {
        // Stopped during the evaluation: the state is that of step `iter`, saved like any stop.
        await hooks.afterStep?.(iter, { step: iter, evals: [...evals], timing: timing() });
        stopped = true;
        break;
      }
      if (!Number.isFinite(losses.train) || !Number.isFinite(losses.val)) {
        throw new DivergedError(iter, `the evaluation loss (train ${losses.train}, val ${losses.val})`);
      }
      const record: EvalRecord = {
        iter,
        train_loss: losses.train,
        val_loss: losses.val,
        lr: optimizer.currentLr(),
        ms_per_iter: sinceEvalIters > 0 ? sinceEvalMs / sinceEvalIters : 0,
      };
      evals.push(record);
      sinceEvalMs = 0;
      sinceEvalIters = 0;
      await hooks.onEval?.(record);
    }
    if (iter === s.iters) break;
    const lr = optimizer.currentLr();
    const t0 = performance.now();
    const inStep = optimizer.stepMs;
    // ScionLight: the backward pass accumulates into the optimizer's gradient buffers (G ← G + g),
    // and the step uses G and scales it by (1 − α).
    const loss = await model.step(sampler.next());
    const t2 = performance.now();
    const t1 = t2 - (optimizer.stepMs - inStep);
    if (!Number.isFinite(loss)) throw new DivergedError(iter, `the training loss (${loss})`);
    fwdBwd += t1 - t0;
    opt += t2 - t1;
    sinceEvalMs += t2 - t0;
    sinceEvalIters++;
    const done = iter + 1;
    hooks.onIter?.(iter, loss, lr, ((done - untimed) * s.batchSize * T * 1000) / (fwdBwd + opt));
    await hooks.afterStep?.(done, { step: done, evals: [...evals], timing: timing() });
    if (hooks.shouldStop?.()) {
      stopped = true;
      iter = done;
      break;
    }
  }
  const steps = stopped ? iter : s.iters;
  const n = Math.max(1, steps - untimed);
  const last = evals[evals.length - 1];
  return {
    evals,
    finalValLoss: last?.val_loss ?? Number.NaN,
    bestValLoss: evals.length > 0 ? Math.min(...evals.map((e) => e.val_loss)) : Number.NaN,
    tokensPerS: steps > untimed && fwdBwd + opt > 0 ? ((steps - untimed) * s.batchSize * T * 1000) / (fwdBwd + opt) : 0,
    msFwdBwd: fwdBwd / n,
    msOptimizer: opt / n,
    trainSeconds: timing().seconds,
    step: steps,
    stopped,
    timing: timing(),
  };
}

