// The public training API, re-exported by both entry points (which add loadOnnxModel and
// createOnnxTrainer, bound to their onnxruntime: ./entry.ts).

export { OnnxModel, type OnnxTensorInfo } from './model.js';
export { OnnxTrainer, type OnnxTrainerOptions, type TrainerOptimizer } from './trainer.js';
export type { LossSpec } from './loss.js';
export type { TrainableMatcher, TrainableSpec } from './trainable.js';
export type { FeedValue, Feeds } from './feeds.js';
export { supportedOps, type SupportedOp } from './supported.js';
export { exportSafetensors, type ExportSafetensorsOptions } from './torch-weights.js';

export type { ModelSource } from './entry.js';
