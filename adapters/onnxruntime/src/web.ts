/**
 * `@lmo/onnxruntime/web`: the same backend on onnxruntime-web, for browsers and bundlers (wasm, and
 * webgpu where the browser has it). It never imports onnxruntime-node.
 *
 * @example
 * ```ts
 * import * as ort from 'onnxruntime-web';
 * import { onnxBackend } from '@lmo/onnxruntime/web';
 * ort.env.wasm.wasmPaths = '/assets/ort/'; // serve onnxruntime-web's .wasm files yourself
 * const backend = onnxBackend({ executionProviders: ['wasm'] });
 * ```
 * @packageDocumentation
 * @module @lmo/onnxruntime/web
 */
import * as ortWeb from 'onnxruntime-web';
import type * as ort from 'onnxruntime-common';
import { OnnxBackend } from './backend.js';
import { sessionOptions as nodeSessionOptions, type OnnxBackendOptions } from './options.js';
import type { OrtApi } from './session-cache.js';
import { createTrainer, loadModel, type ModelSource } from './training/entry.js';
import type { OnnxModel } from './training/model.js';
import type { OnnxTrainer, OnnxTrainerOptions, TrainerOptimizer } from './training/trainer.js';

export { OnnxBackend } from './backend.js';
export type { OnnxBackendOptions } from './options.js';
export { OnnxTensor } from './graph/nodes.js';
export { newtonSchulzFlops } from './graph/newton-schulz.js';
export type { OnnxBackendStats, OrtApi } from './session-cache.js';
export * from './training/index.js';

/** The session options the backend compiles its graphs with (default provider `wasm`), for your own sessions. */
export function sessionOptions(options: Omit<OnnxBackendOptions, 'ort' | 'fusedNewtonSchulz'> = {}): ort.InferenceSession.SessionOptions {
  return nodeSessionOptions({ executionProviders: ['wasm'], ...options });
}

/** Create an onnxruntime backend on onnxruntime-web (or on `options.ort`). Default provider: `wasm`. */
export function onnxBackend(options: OnnxBackendOptions = {}): OnnxBackend {
  return new OnnxBackend({
    executionProviders: ['wasm'],
    ...options,
    ort: options.ort ?? (ortWeb as unknown as OrtApi),
  });
}

async function fetchBytes(source: string | URL): Promise<Uint8Array> {
  const response = await fetch(source);
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Loads an ONNX model for training from a URL (through `fetch`) or the file's bytes. */
export function loadOnnxModel(source: string | URL | Uint8Array | ArrayBuffer): Promise<OnnxModel> {
  return loadModel(source, fetchBytes);
}

/**
 * A trainer for an ONNX model on onnxruntime-web (see `createOnnxTrainer` of `@lmo/onnxruntime`);
 * its default backend is `onnxBackend()` (wasm). Pass `backend: onnxBackend({ executionProviders:
 * ['webgpu'] })` to train on WebGPU.
 */
export function createOnnxTrainer<O extends TrainerOptimizer>(model: ModelSource, options: OnnxTrainerOptions<O>): Promise<OnnxTrainer<O>> {
  return createTrainer(model, options, { probeProviders: ['wasm'] }, () => onnxBackend());
}
