import { BatchSampler, type CharDataset } from '../data/char-dataset.js';
import type { ModelBackend } from '../model/backend.js';
import { initParams } from '../model/init.js';
import { createTrainOptimizer, nanoGptSchedule, OPTIMIZERS, type OptimizerName } from '../optim/factory.js';
import type { TrainOptimizer } from '../optim/types.js';
import { applyUpdate, batchSeeds } from '../train/trainer.js';
import { sampleIt, type Samples } from './timing.js';

/** What the part timers time, and how often. */
export interface PartSettings {
  readonly optimizers: readonly OptimizerName[];
  /** Timed runs of each part, after `warmup` untimed ones. */
  readonly iters: number;
  readonly warmup: number;
  readonly batchSize: number;
  readonly seed: number;
}

/** Per-run times of each part of a training iteration on one backend. */
export interface PartSamples {
  /** Forward + backward of a fresh batch. */
  readonly fwdBwd: Samples;
  /** One optimizer step on fixed gradients, per optimizer. */
  readonly steps: ReadonlyMap<OptimizerName, Samples>;
  /** Forward + backward + step, per optimizer (empty unless asked for). */
  readonly iterations: ReadonlyMap<OptimizerName, Samples>;
}

/** Fresh weights from the seed, and a way to free them. */
async function withParams<T, R>(model: ModelBackend<T>, seed: number, body: (params: Map<string, T>) => Promise<R>): Promise<R> {
  const params = model.createParams(initParams(model.config, seed));
  try {
    return await body(params);
  } finally {
    for (const p of params.values()) model.tensors.dispose(p);
  }
}

async function withOptimizer<T, R>(model: ModelBackend<T>, name: OptimizerName, params: Map<string, T>, body: (opt: TrainOptimizer<T>) => Promise<R>): Promise<R> {
  const opt = createTrainOptimizer(name, model.tensors, params, OPTIMIZERS[name].lr, nanoGptSchedule(1000));
  try {
    return await body(opt);
  } finally {
    opt.dispose();
  }
}

const sampler = (model: ModelBackend<unknown>, data: CharDataset, s: PartSettings): BatchSampler =>
  new BatchSampler(data.train, s.batchSize, model.config.blockSize, batchSeeds(s.seed).train);

/** Forward+backward of a fresh training batch per run (the compiling backends build their graphs in the warm-up). */
export function timeFwdBwd<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<Samples> {
  const batches = sampler(model, data, s);
  return withParams(model, s.seed, (params) => sampleIt(s.iters, s.warmup, () => model.lossAndGrads(params, batches.next())));
}

/** Each optimizer's step on one set of gradients (ScionLight's on its accumulators). */
export function timeSteps<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, Samples>> {
  return withParams(model, s.seed, async (params) => {
    const { grads } = await model.lossAndGrads(params, sampler(model, data, s).next());
    const out = new Map<OptimizerName, Samples>();
    for (const name of s.optimizers) {
      out.set(name, await withOptimizer(model, name, params, (opt) => sampleIt(s.iters, s.warmup, () => opt.step(opt.accumulators ?? grads))));
    }
    return out;
  });
}

/** Whole training iterations (forward + backward + update) per optimizer, each from fresh weights. */
export async function timeIterations<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, Samples>> {
  const batches = sampler(model, data, s);
  const out = new Map<OptimizerName, Samples>();
  for (const name of s.optimizers) {
    const samples = await withParams(model, s.seed, (params) =>
      withOptimizer(model, name, params, (opt) =>
        sampleIt(s.iters, s.warmup, async () => {
          const { grads } = await model.lossAndGrads(params, batches.next());
          await applyUpdate(model.tensors, opt, grads);
        }),
      ),
    );
    out.set(name, samples);
  }
  return out;
}

/** All parts of nanoGPT's training iteration on `model`; whole iterations only with `iterations`. */
export async function timeParts<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings & { readonly iterations: boolean }): Promise<PartSamples> {
  const fwdBwd = await timeFwdBwd(model, data, s);
  const steps = await timeSteps(model, data, s);
  const iterations = s.iterations ? await timeIterations(model, data, s) : new Map<OptimizerName, Samples>();
  return { fwdBwd, steps, iterations };
}
