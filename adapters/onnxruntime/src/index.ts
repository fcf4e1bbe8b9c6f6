/**
 * `@lmo/onnxruntime`: run lmo optimizers on onnxruntime. Each optimizer step is traced into one
 * ONNX graph, compiled once per structure and executed by onnxruntime-node (this entry point) or
 * onnxruntime-web (`@lmo/onnxruntime/web`).
 *
 * @packageDocumentation
 * @module @lmo/onnxruntime
 */
import * as ortNode from 'onnxruntime-node';
import { OnnxBackend } from './backend.js';
import type { OnnxBackendOptions } from './options.js';
import type { OrtApi } from './session-cache.js';

export { OnnxBackend } from './backend.js';
export { sessionOptions, type OnnxBackendOptions } from './options.js';
export { OnnxTensor } from './graph/nodes.js';
export { newtonSchulzFlops } from './graph/newton-schulz.js';
export type { OnnxBackendStats, OrtApi } from './session-cache.js';

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
