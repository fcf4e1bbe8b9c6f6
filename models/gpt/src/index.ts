/**
 * `@lmo/gpt`: nanoGPT's GPT written over the lmo packages — its config and initial weights, the
 * character-level data, the model on every engine behind one contract, the optimizers it trains
 * with (core's presets, the tuned recipe, nanoGPT's AdamW) and the training loop. Private to this
 * repository: the nanoGPT benchmark, the docs playground and the browser tests use it.
 *
 * This entry point runs anywhere (Node and the browser); the engines have their own:
 * `@lmo/gpt/tfjs`, `@lmo/gpt/gpujs`, `@lmo/gpt/onnxruntime` (Node), and `@lmo/gpt/node` (the models
 * by name, with their engines loaded in Node).
 *
 * @packageDocumentation
 */
export { UsageError, isModuleNotFound } from './errors.js';
export { CPU_CONFIG, LN_F, WPE, WTE, layerNames, paramCount, paramSpecs, sizeOf, validateConfig, type GPTConfig, type ParamRole, type ParamSpec } from './config.js';
export { initParams } from './init.js';
export type { Batch } from './data/batch.js';
export { BatchSampler, charDataset, type CharDataset } from './data/char-dataset.js';
export {
  GradientModel,
  accumulates,
  createParamsFrom,
  disposeAll,
  requireDtype,
  type DifferentiableGpt,
  type GptModel,
  type GptSession,
  type GptTraining,
  type LossAndGrads,
  type ParamMap,
  type StepOptimizer,
} from './model.js';
export { ReferenceModel, referenceGpt, type ReferenceGemm } from './reference/backend.js';
export { readBuffers, writeBuffers } from './optim/buffers.js';
export type { TrainOptimizer } from './optim/types.js';
export * from './optim/storage.js';
export {
  DEFAULT_OPTIMIZER,
  OPTIMIZERS,
  createTrainOptimizer,
  isOptimizerName,
  nanoGptSchedule,
  recipeOf,
  recipeTrainOptimizer,
  scionFamilyOptions,
  SCION_FAMILY,
  scheduleFor,
  type OptimizerName,
} from './optim/optimizers.js';
export * from './optim/recipe.js';
export * from './train/trainer.js';
export * from './train/experiment.js';
export { sampleText } from './train/sample.js';
export { recording, type RecordingOptimizer } from './train/record.js';
export { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_VERSION, checkBundleRun, gptConfig, torchConfig, type BundleRun, type RunFields } from './handoff/run-file.js';
export { bundleRun, handoffOf, resumeFromBundle, runOptions, type BundleResume, type RunSettings } from './handoff/convert.js';
