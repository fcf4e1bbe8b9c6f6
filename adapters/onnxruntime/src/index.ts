/**
 * `@lmo/onnxruntime`: run lmo optimizers on onnxruntime. Each optimizer step is traced into one
 * ONNX graph, compiled once per structure and executed by onnxruntime-node.
 *
 * @packageDocumentation
 */
export { OnnxBackend, onnxBackend, type OnnxBackendOptions } from './backend.js';
export { OnnxTensor } from './graph/nodes.js';
export type { OnnxBackendStats, OrtApi } from './session-cache.js';
