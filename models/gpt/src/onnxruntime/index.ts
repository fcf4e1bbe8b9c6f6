/** `@lmo/gpt/onnxruntime`: the GPT on onnxruntime-node. */
export { OnnxModelBackend, loadOrt, modelThreads, type OnnxModelOptions } from './backend.js';
export { GraphBuilder, type Value } from './graph.js';
