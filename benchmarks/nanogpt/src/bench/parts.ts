import { BatchSampler, type CharDataset, type ModelBackend, type ParamMap, initParams, createTrainOptimizer, nanoGptSchedule, OPTIMIZERS, type OptimizerName, type TrainOptimizer, batchSeeds } from '@lmo/gpt';
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

/** An optimizer's step times, and the bytes of state it allocated. */
export interface StepSamples extends Samples {
  readonly ownedBytes: number;
}

/** Per-run times of each part of a training iteration on one backend. */
export interface PartSamples {
  /** Forward + backward of a fresh batch. */
  readonly fwdBwd: Samples;
  /** One optimizer step on fixed gradients, per optimizer. */
  readonly steps: ReadonlyMap<OptimizerName, StepSamples>;
  /** Forward + backward + step, per optimizer (empty unless asked for). */
  readonly iterations: ReadonlyMap<OptimizerName, Samples>;
}

/** One step from `grads`, or, for ScionLight, from the gradient buffers it owns. */
function stepOn<T>(opt: TrainOptimizer<T>, grads: ParamMap<T>): unknown {
  return opt.gradients === undefined ? opt.step(grads) : opt.step();
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

/** Each optimizer's step on one set of gradients. */
export function timeSteps<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, StepSamples>> {
  return withParams(model, s.seed, async (params) => {
    const { grads } = await model.lossAndGrads(params, sampler(model, data, s).next());
    const out = new Map<OptimizerName, StepSamples>();
    for (const name of s.optimizers) {
      const timed = await withOptimizer(model, name, params, async (opt) => ({
        ...(await sampleIt(s.iters, s.warmup, () => stepOn(opt, grads))),
        ownedBytes: opt.ownedBytes,
      }));
      out.set(name, timed);
    }
    return out;
  });
}

/**
 * Whole training iterations per optimizer, each from fresh weights, as the trainer runs them:
 * forward + backward (ScionLight's backward accumulates into its gradient buffers), then the step.
 */
export async function timeIterations<T>(model: ModelBackend<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, Samples>> {
  const batches = sampler(model, data, s);
  const out = new Map<OptimizerName, Samples>();
  for (const name of s.optimizers) {
    const samples = await withParams(model, s.seed, (params) =>
      withOptimizer(model, name, params, (opt) =>
        sampleIt(s.iters, s.warmup, async () => {
          const { grads } = await model.lossAndGrads(params, batches.next(), opt.gradients);
          await stepOn(opt, grads);
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
