/**
 * `@lmo/onnxruntime/onnx`: the small ONNX model writer this adapter compiles optimizer steps with
 * (a protocol-buffers writer and encoders for ModelProto, GraphProto, NodeProto, … at IR version 8,
 * default-domain opset 17). Exported so other packages (e.g. the nanoGPT benchmark's onnxruntime
 * model) can emit their own graphs without a protobuf dependency.
 *
 * @packageDocumentation
 * @module @lmo/onnxruntime/onnx
 */
export { BFLOAT16_IR_VERSION, BFLOAT16_OPSET, DataType, IR_VERSION, OPSET_VERSION, encodeModel, type AttributeValue, type GraphDef, type InitializerDef, type NodeDef, type ValueInfoDef } from './model.js';
export { ProtoWriter } from './proto.js';
