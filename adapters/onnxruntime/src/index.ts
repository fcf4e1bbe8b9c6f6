/**
 * `@lmo/onnxruntime`: train ONNX models with lmo's optimizers on onnxruntime. `createOnnxTrainer`
 * builds a model's gradient graph and trains its initializers; `onnxBackend` runs core's
 * optimizers, each step traced into one ONNX graph, compiled once per structure and executed by
 * onnxruntime-node (this entry point) or onnxruntime-web (`@lmo/onnxruntime/web`).
 *
 * @packageDocumentation
 * @module @lmo/onnxruntime
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ortNode from 'onnxruntime-node';
import { OnnxBackend } from './backend.js';
import type { OnnxBackendOptions } from './options.js';
import type { OrtApi } from './session-cache.js';
import { createTrainer, loadModel, type ModelSource } from './training/entry.js';
import type { OnnxModel } from './training/model.js';
import type { OnnxTrainer, OnnxTrainerOptions, TrainerOptimizer } from './training/trainer.js';

export { OnnxBackend } from './backend.js';
export { sessionOptions, type OnnxBackendOptions } from './options.js';
export { OnnxTensor } from './graph/nodes.js';
export { newtonSchulzFlops } from './graph/newton-schulz.js';
export type { OnnxBackendStats, OrtApi } from './session-cache.js';
export * from './training/index.js';

/**
 * Create an onnxruntime backend on onnxruntime-node (or on `options.ort`). Its sessions run
 * sequentially, without a memory pattern and with worker threads that do not spin (see
 * {@link OnnxBackendOptions}); {@link sessionOptions} gives the same settings for your own sessions.
 *
 * @example
 * ```ts
 * const backend = onnxBackend({ executionProviders: ['cpu'], intraOpNumThreads: 2 });
 * const w = backend.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * await backend.run(() => backend.assign(w, backend.scale(w, 0.5)));
 * await backend.read(w); // Float32Array [0.5, 1, 1.5, 2]
 * ```
 */
export function onnxBackend(options: OnnxBackendOptions = {}): OnnxBackend {
  return new OnnxBackend({ ...options, ort: options.ort ?? (ortNode as unknown as OrtApi) });
}

async function readNode(source: string | URL): Promise<Uint8Array> {
  const url = source instanceof URL ? source : undefined;
  if (url !== undefined && url.protocol !== 'file:') {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  return readFile(url !== undefined ? fileURLToPath(url) : source);
}

/**
 * Loads an ONNX model for training: from a file path, a URL (`file:`, or `http(s):` through
 * `fetch`), or the file's bytes. Throws an `LmoError` when it cannot be read or is not a complete
 * ONNX model.
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('mlp.onnx');
 * model.initializers.map((t) => `${t.name} ${t.type} [${t.shape}]`);
 * ```
 */
export function loadOnnxModel(source: string | URL | Uint8Array | ArrayBuffer): Promise<OnnxModel> {
  return loadModel(source, readNode);
}

/**
 * A trainer for an ONNX model: builds its training graph (forward, loss and the reverse-mode
 * gradient graph, one rule per op) once, then each `step(feeds)` runs it in one onnxruntime session
 * run and applies the optimizer's step to the trainable initializers. The parameters live on an
 * `onnxBackend()` (made here unless `options.backend` is given).
 *
 * @example
 * ```ts
 * const trainer = await createOnnxTrainer(await loadOnnxModel('gpt.onnx'), {
 *   trainable: '*',
 *   loss: 'loss',
 *   optimizer: (params, backend) => unconstrainedScion(backend, params, { lr: 2 ** -8, groups: transformerGroups() }),
 * });
 * const loss = await trainer.step({ idx, targets });
 * ```
 */
export function createOnnxTrainer<O extends TrainerOptimizer>(model: ModelSource, options: OnnxTrainerOptions<O>): Promise<OnnxTrainer<O>> {
  return createTrainer(model, options, { probeProviders: ['cpu'] }, () => onnxBackend());
}
