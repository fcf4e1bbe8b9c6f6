/**
 * An ONNX model as loaded for training: the file's bytes, its decoded graph, and what a user needs
 * to choose trainable initializers and feed inputs.
 */
import { decodeModelProto, type ModelProto, type TensorProto, type ValueInfoProto } from '../onnx/schema.js';
import { typeName } from '../onnx/tensor-data.js';
import { invalidModel } from './errors.js';
import { Graph } from './graph.js';

/** A tensor of a model: its name, element type (`'float32'`, `'int64'`, …) and shape. */
export interface OnnxTensorInfo {
  readonly name: string;
  /** onnxruntime's name of the element type (`ort.Tensor['type']`). */
  readonly type: string;
  /** Dimensions; a symbolic (dynamic) dimension is its name, e.g. `'batch'`. */
  readonly shape: readonly (number | string)[];
}

function valueInfo(v: ValueInfoProto): OnnxTensorInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    type: tensor === undefined ? 'non-tensor' : typeName(tensor.elemType),
    shape: (tensor?.shape?.dim ?? []).map((d, i) => d.dimValue ?? (d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : `?${i}`)),
  };
}

function initializerInfo(t: TensorProto): OnnxTensorInfo {
  return { name: t.name ?? '', type: typeName(t.dataType), shape: [...t.dims] };
}

/**
 * An ONNX model (a `ModelProto`) decoded with protobufjs. Create it with `loadOnnxModel` (a path, a
 * URL or bytes) or {@link OnnxModel.fromBytes}; hand it to `createOnnxTrainer`.
 *
 * @example
 * ```ts
 * const model = await loadOnnxModel('mlp.onnx');
 * model.initializers.map((t) => t.name); // ['fc1.weight', 'fc1.bias', …]
 * ```
 */
export class OnnxModel {
  /** The file's bytes (exports of the trained model splice new initializers into them). */
  readonly bytes: Uint8Array;
  /** The inputs fed at run time (graph inputs that are not initializers). */
  readonly inputs: readonly OnnxTensorInfo[];
  /** The graph's outputs. */
  readonly outputs: readonly OnnxTensorInfo[];
  /** Every initializer: weights, and also registered buffers (masks, BatchNorm statistics, …). */
  readonly initializers: readonly OnnxTensorInfo[];
  /** The version of the default ONNX opset the model uses. */
  readonly opset: number;
  /** @internal the decoded ModelProto */
  readonly proto: ModelProto;
  /** @internal the graph view */
  readonly graph: Graph;

  private constructor(bytes: Uint8Array, proto: ModelProto) {
    this.bytes = bytes;
    this.proto = proto;
    this.graph = new Graph(proto);
    const g = proto.graph!;
    const initializerNames = new Set(g.initializer.map((t) => t.name ?? ''));
    this.inputs = g.input.filter((i) => !initializerNames.has(i.name ?? '')).map(valueInfo);
    this.outputs = g.output.map(valueInfo);
    this.initializers = g.initializer.map(initializerInfo);
    this.opset = this.graph.opset;
  }

  /**
   * Decodes a serialized ONNX model. Throws an `LmoError` (code `BACKEND`) when the bytes are not
   * a complete ONNX model: malformed or truncated protobuf, no graph, a value no node defines.
   */
  static fromBytes(bytes: Uint8Array | ArrayBuffer): OnnxModel {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (data.byteLength === 0) throw invalidModel('the file is empty');
    let proto: ModelProto;
    try {
      proto = decodeModelProto(data);
    } catch (error) {
      throw invalidModel(`cannot decode the protobuf (${error instanceof Error ? error.message : String(error)}): a truncated or non-ONNX file`, error);
    }
    return new OnnxModel(data, proto);
  }
}
