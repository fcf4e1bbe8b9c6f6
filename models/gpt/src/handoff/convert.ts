/**
 * A nanoGPT run to a handoff bundle and back: the weights and optimizer state through core's
 * `encodeTorchHandoff` / `decodeTorchHandoff`, with the optimizer's options rebuilt from its name,
 * learning rate and length (so a bundle PyTorch wrote is checked against the run it continues).
 */
import { LmoError, decodeTorchHandoff, encodeTorchHandoff, stateFromJSON, stateToJSON, type OptimizerOptions, type TorchHandoff } from '@lmo/core';
import { paramSpecs, type GPTConfig } from '../config.js';
import { UsageError } from '../errors.js';
import type { GptModel } from '../model.js';
import { isOptimizerName, scheduleFor, scionFamilyOptions, type OptimizerName } from '../optim/optimizers.js';
import type { TrainOptimizer } from '../optim/types.js';
import type { Resume } from '../train/experiment.js';
import { FRESH_START, type EvalRecord, type TrainSettings } from '../train/trainer.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, gptConfig, torchConfig, type BundleRun } from './run-file.js';

/** The options of optimizer `name` in a run of `iters` iterations with base learning rate `lr`. */
export function runOptions(name: string, lr: number, iters: number): OptimizerOptions {
  if (!isOptimizerName(name)) throw new UsageError(`unknown optimizer "${name}"`);
  return scionFamilyOptions(name, lr, scheduleFor(name, iters));
}

/** What describes a run besides its tensors. */
export interface RunSettings {
  readonly optimizer: OptimizerName;
  readonly lr: number;
  readonly config: GPTConfig;
  readonly settings: TrainSettings;
  /** The SHA-256 of the corpus's bytes, in hex. */
  readonly dataHash: string;
  /** Where the corpus is (recorded in the bundle as the place to look first). */
  readonly dataPath?: string;
}

/** `nanogpt.json` of a run at this point (on the model `backend`, e.g. `"onnxruntime"`). */
export function bundleRun(s: RunSettings, evals: readonly EvalRecord[], backend?: string): BundleRun {
  const { settings: t } = s;
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    optimizer: s.optimizer,
    lr: s.lr,
    seed: t.seed,
    iters: t.iters,
    batch_size: t.batchSize,
    eval_every: t.evalEvery,
    eval_iters: t.evalIters,
    config: torchConfig(s.config),
    data: { sha256: s.dataHash, ...(s.dataPath !== undefined ? { path: s.dataPath } : {}) },
    evals: [...evals],
    ...(backend !== undefined ? { backend } : {}),
  };
}

/** The bundle files of a live run: its parameters' values and its optimizer's state. */
export async function handoffOf<T>(model: Pick<GptModel<T>, 'tensors'>, params: ReadonlyMap<string, T>, trained: TrainOptimizer<T>, s: RunSettings): Promise<TorchHandoff> {
  const options = runOptions(s.optimizer, s.lr, s.settings.iters);
  const weights = new Map<string, Float32Array>();
  for (const [name, p] of params) weights.set(name, await model.tensors.read(p));
  return encodeTorchHandoff({ weights, options, state: stateFromJSON(await trained.saveState()) });
}

/** A run read from a bundle: its settings and where to resume it. */
export interface BundleResume extends RunSettings {
  readonly resume: Resume;
  /** lmo's model backend the run trained on, when the bundle says. */
  readonly backend: string | undefined;
}

/**
 * Checks a bundle (its checked `nanogpt.json` and core's two files) against the run it describes (the
 * optimizer's options rebuilt from `run`) and against the corpus (`dataHash`): every failure is a
 * usage error `"<at>: <what disagrees>"`, before anything is loaded.
 */
export function resumeFromBundle({ run, files }: { readonly run: BundleRun; readonly files: TorchHandoff }, dataHash: string, at: string): BundleResume {
  if (!isOptimizerName(run.optimizer)) throw new UsageError(`${at}: optimizer "${run.optimizer}" is not one this nanogpt has`);
  if (run.data.sha256 !== dataHash) throw new UsageError(`${at}: the run trained on another corpus (its SHA-256 differs); give the same --data`);
  let decoded;
  try {
    decoded = decodeTorchHandoff(files, runOptions(run.optimizer, run.lr, run.iters));
  } catch (e) {
    if (e instanceof LmoError) throw new UsageError(`${at}: ${e.message}`);
    throw e;
  }
  const config = gptConfig(run.config);
  const shapes = new Map(decoded.state.parameters.map((p) => [p.name, p.shape]));
  const specs = paramSpecs(config);
  for (const spec of specs) {
    const shape = shapes.get(spec.name);
    if (shape === undefined) throw new UsageError(`${at}: it has no parameter "${spec.name}" of the GPT its nanogpt.json describes`);
    if (shape.join() !== spec.shape.join()) throw new UsageError(`${at}: parameter "${spec.name}" has shape [${shape.join(', ')}], the GPT of its nanogpt.json [${spec.shape.join(', ')}]`);
  }
  if (shapes.size !== specs.length) throw new UsageError(`${at}: it has ${shapes.size} parameters, the GPT of its nanogpt.json ${specs.length}`);
  const step = decoded.state.step;
  if (step > run.iters) throw new UsageError(`${at}: step ${step} is past the run's ${run.iters} iterations`);
  const settings: TrainSettings = { iters: run.iters, batchSize: run.batch_size, evalEvery: run.eval_every, evalIters: run.eval_iters, seed: run.seed };
  return {
    optimizer: run.optimizer,
    lr: run.lr,
    config,
    settings,
    dataHash,
    ...(run.data.path !== undefined ? { dataPath: run.data.path } : {}),
    backend: run.backend,
    resume: {
      start: { ...FRESH_START, step, evals: run.evals.filter((e) => e.iter < step) },
      weights: Object.fromEntries(decoded.weights),
      optimizerState: stateToJSON(decoded.state),
    },
  };
}
