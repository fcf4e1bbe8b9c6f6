import { charDataset, type CharDataset } from '../data/char-dataset.js';
import { locateCorpus, readCorpus, type CorpusSource } from '../data/locate.js';
import type { ModelBackend } from '../model/backend.js';
import { validateConfig, type GPTConfig } from '../model/config.js';
import { initParams } from '../model/init.js';
import { createTrainOptimizer, scheduleFor, OPTIMIZERS, isOptimizerName, type OptimizerName } from '../optim/factory.js';
import type { TrainOptimizer } from '../optim/types.js';
import { UsageError } from '../util/errors.js';
import { train, type TrainHooks, type TrainResult, type TrainSettings } from './trainer.js';

/** The corpus and model shape of a run, validated. */
export interface Prepared {
  readonly data: CharDataset;
  readonly source: CorpusSource;
  readonly config: GPTConfig;
}

/** Finds and reads the corpus and checks the model shape against it (usage errors on bad input). */
export async function prepare(
  dataPath: string | undefined,
  shape: Omit<GPTConfig, 'vocabSize'>,
): Promise<Prepared> {
  const source = await locateCorpus(dataPath);
  const data = charDataset(readCorpus(source.path));
  const config: GPTConfig = { ...shape, vocabSize: data.vocabSize };
  try {
    validateConfig(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  for (const split of ['train', 'val'] as const) {
    if (data[split].length < config.blockSize + 1) {
      throw new UsageError(
        `block size ${config.blockSize} is larger than the ${split} split of the data (${data[split].length} characters): use a smaller --block-size or a larger corpus`,
      );
    }
  }
  return { data, source, config };
}

/** Checks an optimizer name (usage error listing the choices). */
export function optimizerName(s: string): OptimizerName {
  if (!isOptimizerName(s)) throw new UsageError(`unknown optimizer "${s}" (choose one of: ${Object.keys(OPTIMIZERS).join(', ')})`);
  return s;
}

/** A finished run: what it measured, and its trained parameters (for sampling). */
export interface RunOutcome<T> {
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly result: TrainResult;
  readonly params: Map<string, T>;
}

/** Initial weights from the seed, one optimizer (its schedule for `settings.iters`), the training loop. */
export async function trainWith<T>(
  model: ModelBackend<T>,
  data: CharDataset,
  name: OptimizerName,
  lr: number | undefined,
  settings: TrainSettings,
  hooks?: TrainHooks,
): Promise<RunOutcome<T>> {
  const baseLr = lr ?? OPTIMIZERS[name].lr;
  const out = await trainBuilt(model, data, (params) => createTrainOptimizer(name, model.tensors, params, baseLr, scheduleFor(name, settings.iters)), settings, hooks);
  return { optimizer: name, lr: baseLr, ...out };
}

/** Initial weights from the seed, the optimizer `build` makes over them, the training loop. */
export async function trainBuilt<T>(
  model: ModelBackend<T>,
  data: CharDataset,
  build: (params: Map<string, T>) => TrainOptimizer<T>,
  settings: TrainSettings,
  hooks?: TrainHooks,
): Promise<{ result: TrainResult; params: Map<string, T> }> {
  const params = model.createParams(initParams(model.config, settings.seed));
  let optimizer: TrainOptimizer<T>;
  try {
    optimizer = build(params);
  } catch (e) {
    disposeParams(model, params);
    throw e;
  }
  try {
    const result = await train(model, params, optimizer, data, settings, hooks);
    return { result, params };
  } catch (e) {
    disposeParams(model, params);
    throw e;
  } finally {
    optimizer.dispose();
  }
}

/** Frees parameters made by {@link trainWith}. */
export function disposeParams<T>(model: ModelBackend<T>, params: Map<string, T>): void {
  for (const p of params.values()) model.tensors.dispose(p);
}
