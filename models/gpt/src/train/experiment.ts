import { charDataset, type CharDataset } from '../data/char-dataset.js';
import { requireDtype, type GptModel, type GptTraining, type ParamMap } from '../model.js';
import { FLOAT32_STORAGE, storageOptions, type TrainStorage } from '../optim/storage.js';
import { validateConfig, type GPTConfig } from '../config.js';
import { initParams } from '../init.js';
import { createTrainOptimizer, scheduleFor, OPTIMIZERS, isOptimizerName, type OptimizerName } from '../optim/optimizers.js';
import type { TrainOptimizer } from '../optim/types.js';
import { UsageError } from '../errors.js';
import { train, type TrainHooks, type TrainResult, type TrainSettings, type TrainStart } from './trainer.js';

/**
 * The character dataset of a corpus and the model shape checked against it: the GPT's config (its
 * vocabulary is the corpus's). Usage errors on a shape that is not a GPT or a block size longer than
 * a split.
 */
export function datasetFor(text: string, shape: Omit<GPTConfig, 'vocabSize'>): { data: CharDataset; config: GPTConfig } {
  const data = charDataset(text);
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
  return { data, config };
}

/** Checks an optimizer name (usage error listing the choices). */
export function optimizerName(s: string): OptimizerName {
  if (!isOptimizerName(s)) throw new UsageError(`unknown optimizer "${s}" (choose one of: ${Object.keys(OPTIMIZERS).join(', ')})`);
  return s;
}

/** A finished (or stopped) run: what it measured, and the training (its weights for sampling, its optimizer's state for a checkpoint). */
export interface RunOutcome<T> {
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly result: TrainResult;
  /** Still usable: free it with {@link disposeOutcome}. */
  readonly training: GptTraining<T, TrainOptimizer<T>>;
}

/** What a checkpoint gives back to continue a run. */
export interface Resume {
  readonly start: TrainStart;
  readonly weights: Record<string, Float32Array>;
  readonly optimizerState: unknown;
  /** The checkpoint file, for messages: weights or a state that do not load are a usage error naming it. */
  readonly source?: string;
}

/** The live parameters and optimizer of a run, for hooks that save them. */
export type LiveRun<T> = Pick<GptTraining<T, TrainOptimizer<T>>, 'params' | 'optimizer'>;

/**
 * Trains optimizer `name` (its schedule for `settings.iters`) from the seed's weights, or from a
 * checkpoint's; see {@link trainBuilt}.
 */
export async function trainWith<T>(
  model: GptModel<T>,
  data: CharDataset,
  name: OptimizerName,
  lr: number | undefined,
  settings: TrainSettings,
  hooks?: TrainHooks | ((live: LiveRun<T>) => TrainHooks),
  resume?: Resume,
): Promise<RunOutcome<T>> {
  const baseLr = lr ?? OPTIMIZERS[name].lr;
  const storage = storageOptions(settings.storage ?? FLOAT32_STORAGE, settings.seed);
  const out = await trainBuilt(model, data, (params) => createTrainOptimizer(name, model.tensors, params, baseLr, scheduleFor(name, settings.iters), storage), settings, hooks, resume);
  return { optimizer: name, lr: baseLr, ...out };
}

/**
 * Initial weights from the seed (or a checkpoint's), stored in `settings.storage`'s dtype, the
 * optimizer `build` makes over them (its state restored from the checkpoint), the training loop. `hooks` may be a function of the live run, for
 * hooks that save the parameters and the optimizer (checkpoints). On failure the training is
 * freed; on success the caller frees it ({@link disposeOutcome}).
 */
export async function trainBuilt<T>(
  model: GptModel<T>,
  data: CharDataset,
  build: (params: ParamMap<T>) => TrainOptimizer<T>,
  settings: TrainSettings,
  hooks?: TrainHooks | ((live: LiveRun<T>) => TrainHooks),
  resume?: Resume,
): Promise<Pick<RunOutcome<T>, 'result' | 'training'>> {
  const dtype = settings.storage?.dtype ?? 'float32';
  requireDtype(model, dtype);
  const weights = resume ? new Map(Object.entries(resume.weights)) : initParams(model.config, settings.seed);
  const training = await fromCheckpoint(resume, 'weights', () => model.train(weights, build, settings.batchSize, dtype));
  try {
    if (resume) await fromCheckpoint(resume, 'optimizer state', () => training.optimizer.loadState(resume.optimizerState));
    const h = typeof hooks === 'function' ? hooks(training) : hooks;
    const result = await train(training, data, settings, h, resume?.start);
    return { result, training };
  } catch (e) {
    await training.dispose();
    throw e;
  }
}

/**
 * Loads a checkpoint's weights and optimizer state into a model and optimizer (stored as `storage`
 * says) that are then freed: a checkpoint that does not load is refused (a usage error naming it)
 * before anything is written.
 */
export async function checkLoads<T>(model: GptModel<T>, name: OptimizerName, lr: number | undefined, iters: number, resume: Resume, storage: TrainStorage = FLOAT32_STORAGE): Promise<void> {
  requireDtype(model, storage.dtype);
  const session = await fromCheckpoint(resume, 'weights', () => model.session(new Map(Object.entries(resume.weights)), storage.dtype));
  try {
    const optimizer = createTrainOptimizer(name, model.tensors, session.params, lr ?? OPTIMIZERS[name].lr, scheduleFor(name, iters), storageOptions(storage, 0));
    try {
      await fromCheckpoint(resume, 'optimizer state', () => optimizer.loadState(resume.optimizerState));
    } finally {
      optimizer.dispose();
    }
  } finally {
    await session.dispose();
  }
}

/** Runs `load` (of a checkpoint's `what`); its failure is a usage error naming the checkpoint. */
async function fromCheckpoint<R>(resume: Resume | undefined, what: string, load: () => Promise<R>): Promise<R> {
  try {
    return await load();
  } catch (e) {
    if (resume?.source === undefined) throw e;
    throw new UsageError(`checkpoint ${resume.source}: cannot load its ${what} (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Frees what {@link trainWith} or {@link trainBuilt} returned: the weights, the optimizer, the model's training state. */
export function disposeOutcome<T>(outcome: Pick<RunOutcome<T>, 'training'>): Promise<void> {
  return outcome.training.dispose();
}
