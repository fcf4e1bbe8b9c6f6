/**
 * `@lmo/onnxruntime/onnx`: the small ONNX model writer this adapter compiles optimizer steps with
 * (a protocol-buffers writer and encoders for ModelProto, GraphProto, NodeProto, … at IR version 8,
 * default-domain opset 17), and {@link GraphBuilder} over it: write a model's forward graph in
 * TypeScript, weights included, and train it with `createOnnxTrainer` (the nanoGPT benchmark's
 * onnxruntime model is written this way).
 *
 * @packageDocumentation
 * @module @lmo/onnxruntime/onnx
 */
export { BFLOAT16_IR_VERSION, BFLOAT16_OPSET, DataType, IR_VERSION, OPSET_VERSION, encodeModel, type AttributeValue, type GraphDef, type InitializerDef, type NodeDef, type ValueInfoDef } from './model.js';
export { ProtoWriter } from './proto.js';
export { GraphBuilder, type Value } from './graph-builder.js';
