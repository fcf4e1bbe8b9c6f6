// What both entry points share to bind training to their onnxruntime and their way of reading files.
// Internal.

import type { OnnxBackend } from '../backend.js';
import { trainingError } from './errors.js';
import { OnnxModel } from './model.js';
import { OnnxTrainer, type OnnxTrainerOptions, type TrainerEnvironment, type TrainerOptimizer } from './trainer.js';

/** A model given as an {@link OnnxModel} or as the bytes of an ONNX file. */
export type ModelSource = OnnxModel | Uint8Array | ArrayBuffer;

/** `createOnnxTrainer` of an entry point. */
export async function createTrainer<O extends TrainerOptimizer>(
  source: ModelSource,
  options: OnnxTrainerOptions<O>,
  env: TrainerEnvironment,
  defaultBackend: () => OnnxBackend,
): Promise<OnnxTrainer<O>> {
  if (options === null || typeof options !== 'object') throw trainingError('INVALID_HYPERPARAMETER', 'createOnnxTrainer needs options { trainable, loss, optimizer }');
  const model = source instanceof OnnxModel ? source : OnnxModel.fromBytes(source);
  const backend = options.backend ?? defaultBackend();
  return OnnxTrainer.create(model, options, backend, options.backend === undefined, env);
}

/** Reads a model through `read`, wrapping failures into one error naming the source. */
export async function loadModel(source: string | URL | Uint8Array | ArrayBuffer, read: (source: string | URL) => Promise<Uint8Array>): Promise<OnnxModel> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return OnnxModel.fromBytes(source);
  let bytes: Uint8Array;
  try {
    bytes = await read(source);
  } catch (error) {
    throw trainingError('BACKEND', `cannot read the ONNX model ${String(source)}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  return OnnxModel.fromBytes(bytes);
}
