/**
 * `@lmo/gpt/onnxruntime`: the GPT on onnxruntime-node, its forward graph trained by
 * `@lmo/onnxruntime`'s `createOnnxTrainer`.
 */
export { OnnxGpt, modelThreads, onnxGpt, type OnnxGptOptions } from './backend.js';
export { gptForwardModel } from './forward.js';
