import { BatchSampler, type CharDataset } from '../data/char-dataset.js';
import type { ModelBackend, ParamMap } from '../model/backend.js';
import { initParams } from '../model/init.js';
import { createTrainOptimizer, nanoGptSchedule, OPTIMIZERS, type OptimizerName } from '../optim/factory.js';
import type { TrainOptimizer } from '../optim/types.js';
import { batchSeeds } from '../train/trainer.js';
import { sampleIt, type Samples } from './timing.js';

/** What {@link timeParts} times, and how often. */
export interface PartSettings {
  readonly optimizers: readonly OptimizerName[];
  /** Timed runs of each part, after `warmup` untimed ones. */
  readonly iters: number;
  readonly warmup: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Also time whole training iterations (forward + backward + update) per optimizer. */
  readonly iterations: boolean;
}

/** Per-run times of each part of a training iteration on one backend. */
export interface PartSamples {
  /** Forward + backward of a fresh batch. */
  readonly fwdBwd: Samples;
  /** One optimizer step on fixed gradients, per optimizer. */
  readonly steps: ReadonlyMap<OptimizerName, Samples>;
  /** Forward + backward + step, per optimizer (empty unless `iterations`). */
  readonly iterations: ReadonlyMap<OptimizerName, Samples>;
  /** Bytes of state each optimizer allocated (its `ownedBytes`). */
  readonly ownedBytes: ReadonlyMap<OptimizerName, number>;
}

/** One step from `grads`, or, for ScionLight, from the gradient buffers it owns. */
function stepOn<T>(opt: TrainOptimizer<T>, grads: ParamMap<T>): unknown {
  return opt.gradients === undefined ? opt.step(grads) : opt.step();
}

/**
 * Times the parts of nanoGPT's training iteration on `model`: forward+backward; each optimizer's
 * step on one set of gradients (ScionLight on its gradient buffers); and, with `iterations`, whole
 * iterations per optimizer from freshly initialized weights. Every part gets `warmup` untimed runs
 * first (the compiling backends build their graphs then). Batches come from the training stream.
 */
export async function timeParts<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<PartSamples> {
  const config = model.config;
  const sampler = new BatchSampler(data.train, s.batchSize, config.blockSize, batchSeeds(s.seed).train);
  const fresh = (): Map<string, T> => model.createParams(initParams(config, s.seed));
  const release = (params: Map<string, T>): void => {
    for (const p of params.values()) model.tensors.dispose(p);
  };
  const optimizerOn = (name: OptimizerName, params: Map<string, T>) =>
    createTrainOptimizer(name, model.tensors, params, OPTIMIZERS[name].lr, nanoGptSchedule(1000));

  const params = fresh();
  const steps = new Map<OptimizerName, Samples>();
  const ownedBytes = new Map<OptimizerName, number>();
  let fwdBwd: Samples;
  try {
    fwdBwd = await sampleIt(s.iters, s.warmup, () => model.lossAndGrads(params, sampler.next()));
    const { grads } = await model.lossAndGrads(params, sampler.next());
    for (const name of s.optimizers) {
      const opt = optimizerOn(name, params);
      try {
        ownedBytes.set(name, opt.ownedBytes);
        steps.set(name, await sampleIt(s.iters, s.warmup, () => stepOn(opt, grads)));
      } finally {
        opt.dispose();
      }
    }
  } finally {
    release(params);
  }

  const iterations = new Map<OptimizerName, Samples>();
  for (const name of s.iterations ? s.optimizers : []) {
    const own = fresh();
    const opt = optimizerOn(name, own);
    try {
      iterations.set(
        name,
        await sampleIt(s.iters, s.warmup, async () => {
          // ScionLight: the backward pass accumulates into the optimizer's gradient buffers
          const { grads } = await model.lossAndGrads(own, sampler.next(), opt.gradients);
          await stepOn(opt, grads);
        }),
      );
    } finally {
      opt.dispose();
      release(own);
    }
  }
  return { fwdBwd, steps, iterations, ownedBytes };
}
