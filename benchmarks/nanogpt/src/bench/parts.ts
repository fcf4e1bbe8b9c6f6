import { accumulates, BatchSampler, batchSeeds, createTrainOptimizer, initParams, nanoGptSchedule, OPTIMIZERS, recording, type CharDataset, type GptModel, type GptTraining, type OptimizerName, type ParamMap, type StepOptimizer, type TrainOptimizer } from '@lmo/gpt';
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

/** Fresh weights from the seed, trained by what `build` makes over them; freed after `body`. */
async function withTraining<T, O extends StepOptimizer<T>, R>(
  model: GptModel<T>,
  s: PartSettings,
  build: (params: ParamMap<T>) => O,
  body: (training: GptTraining<T, O>) => Promise<R>,
): Promise<R> {
  const training = await model.train(initParams(model.config, s.seed), build, s.batchSize);
  try {
    return await body(training);
  } finally {
    await training.dispose();
  }
}

const optimizer = <T>(model: GptModel<T>, name: OptimizerName) => (params: ParamMap<T>): TrainOptimizer<T> =>
  createTrainOptimizer(name, model.tensors, params, OPTIMIZERS[name].lr, nanoGptSchedule(1000));

/** An optimizer that leaves the weights as they are: a training step is then forward and backward alone. */
const standStill = <T>(): StepOptimizer<T> => ({ step() {}, dispose() {} });

const sampler = (model: GptModel<unknown>, data: CharDataset, s: PartSettings): BatchSampler =>
  new BatchSampler(data.train, s.batchSize, model.config.blockSize, batchSeeds(s.seed).train);

/** Forward+backward of a fresh training batch per run (the compiling models build their graphs in the warm-up). */
export function timeFwdBwd<T>(model: GptModel<T>, data: CharDataset, s: PartSettings): Promise<Samples> {
  const batches = sampler(model, data, s);
  return withTraining(model, s, standStill, (training) => sampleIt(s.iters, s.warmup, () => training.step(batches.next())));
}

/** Each optimizer's step on one set of gradients (a copy of one batch's, made once). */
export function timeSteps<T>(model: GptModel<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, StepSamples>> {
  const t = model.tensors;
  return withTraining(model, s, () => recording(t), async (training) => {
    await training.step(sampler(model, data, s).next());
    const grads = new Map([...training.optimizer.grads[0]!].map(([name, g]) => [name, t.fromArray(g, t.shape(training.params.get(name)!))]));
    const out = new Map<OptimizerName, StepSamples>();
    try {
      for (const name of s.optimizers) {
        const opt = optimizer(model, name)(training.params);
        try {
          // ScionLight steps from the gradient buffers it owns
          const samples = await sampleIt(s.iters, s.warmup, () => (accumulates(opt) ? opt.step() : opt.step(grads)));
          out.set(name, { ...samples, ownedBytes: opt.ownedBytes });
        } finally {
          opt.dispose();
        }
      }
    } finally {
      for (const g of grads.values()) t.dispose(g);
    }
    return out;
  });
}

/**
 * Whole training iterations per optimizer, each from fresh weights, as the trainer runs them:
 * forward + backward (ScionLight's backward accumulates into its gradient buffers), then the step.
 */
export async function timeIterations<T>(model: GptModel<T>, data: CharDataset, s: PartSettings): Promise<Map<OptimizerName, Samples>> {
  const batches = sampler(model, data, s);
  const out = new Map<OptimizerName, Samples>();
  for (const name of s.optimizers) {
    out.set(name, await withTraining(model, s, optimizer(model, name), (training) => sampleIt(s.iters, s.warmup, () => training.step(batches.next()))));
  }
  return out;
}
