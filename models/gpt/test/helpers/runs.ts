import { BatchSampler } from '../../src/data/char-dataset.js';
import { initParams } from '../../src/init.js';
import type { GptModel, ParamMap, StepOptimizer } from '../../src/model.js';
import { recording } from '../../src/train/record.js';
import { tinyData } from './tiny-gpt.js';

/** What a few training steps on a model gave: each step's loss and gradients, then an eval loss and the logits of a few tokens. */
export interface Run {
  readonly losses: number[];
  readonly grads: Array<Map<string, Float32Array>>;
  readonly evalLoss: number;
  readonly logits: Float32Array;
}

/**
 * `steps` training steps of `model` on batches of `B` from {@link tinyData} (seed 11), from the
 * initial weights of seed 7, the gradients recorded and then applied by `optimizer` (by default
 * nothing changes the weights). Frees the training and the model.
 */
export async function runSteps<T>(model: GptModel<T>, B: number, steps: number, optimizer?: (params: ParamMap<T>) => StepOptimizer<T>): Promise<Run> {
  const training = await model.train(initParams(model.config, 7), (params) => recording(model.tensors, optimizer?.(params)), B);
  try {
    const sampler = new BatchSampler(tinyData.train, B, model.config.blockSize, 11);
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) losses.push(await training.step(sampler.next()));
    const evalLoss = await training.loss(sampler.next());
    const logits = await training.lastLogits(Int32Array.from([1, 2, 3, 4, 5]));
    return { losses, grads: training.optimizer.grads, evalLoss, logits };
  } finally {
    await training.dispose();
    await model.dispose();
  }
}
