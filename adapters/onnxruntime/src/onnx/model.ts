// Encoders for the handful of ONNX messages (onnx/onnx.proto, proto2) this adapter emits:
// ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto (with TypeProto and
// TensorShapeProto), TensorProto and OperatorSetIdProto. Field numbers are those of onnx.proto.
// Exported as `@lmo/onnxruntime/onnx` (see ./index.ts).

import { ProtoWriter } from './proto.js';

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, UINT16: 4, INT64: 7, FLOAT16: 10, BFLOAT16: 16 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** ONNX IR version 8 goes with opset 17 (ONNX 1.12). */
export const IR_VERSION = 8;
/** The default-domain opset this adapter targets (ReduceSumSquare/ReduceMax still take `axes` as an attribute). */
export const OPSET_VERSION = 17;
/**
 * The opset of graphs that move bfloat16 in or out: 26 brings `BitCast`, which turns the `uint16`
 * arrays that JavaScript can hand onnxruntime into `bfloat16` tensors and back (onnxruntime's
 * JavaScript API has no bfloat16 tensors). Reductions take `axes` as an input from opset 18.
 */
export const BFLOAT16_OPSET = 26;
/** The IR version written with {@link BFLOAT16_OPSET}. */
export const BFLOAT16_IR_VERSION = 11;

/** A node attribute: `int`, `ints` or `float`. */
export type AttributeValue = { readonly int: number } | { readonly ints: readonly number[] } | { readonly float: number };

export interface NodeDef {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface ValueInfoDef {
  readonly name: string;
  readonly elemType: DataType;
  readonly shape: readonly number[];
}

/** A constant tensor baked into the model: a structural value (a Reshape target, a scalar) or a weight. */
export interface InitializerDef {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  /**
   * Values, written as `int64_data` (INT64) or `float_data` (FLOAT); a `Float32Array` (FLOAT only,
   * e.g. a model's weights) as `raw_data`, little-endian, which is compact and fast to read.
   */
  readonly values: readonly number[] | Float32Array;
}

export interface GraphDef {
  readonly name: string;
  readonly nodes: readonly NodeDef[];
  readonly inputs: readonly ValueInfoDef[];
  readonly outputs: readonly ValueInfoDef[];
  readonly initializers: readonly InitializerDef[];
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if ('int' in value) {
    w.int(3, value.int).int(20, ATTR_INT);
  } else if ('float' in value) {
    w.float(2, value.float).int(20, ATTR_FLOAT);
  } else {
    for (const v of value.ints) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
}

function writeNode(w: ProtoWriter, node: NodeDef, index: number): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, `${node.opType}_${index}`);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    w.message(5, (a) => writeAttribute(a, name, value));
  }
}

function writeValueInfo(w: ProtoWriter, info: ValueInfoDef): void {
  w.string(1, info.name);
  // TypeProto { tensor_type = 1: TypeProto.Tensor { elem_type = 1, shape = 2 } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.elemType);
      tensor.message(2, (shape) => {
        for (const d of info.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function writeInitializer(w: ProtoWriter, t: InitializerDef): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  if (t.values instanceof Float32Array) {
    if (t.dataType !== DataType.FLOAT) throw new RangeError(`initializer ${t.name}: a Float32Array holds FLOAT values, not data type ${t.dataType}`);
    const raw = new DataView(new ArrayBuffer(t.values.length * 4));
    t.values.forEach((v, i) => raw.setFloat32(i * 4, v, true));
    w.bytes(9, new Uint8Array(raw.buffer));
  } else if (t.dataType === DataType.INT64) {
    for (const v of t.values) w.int(7, v);
  } else {
    for (const v of t.values) w.float(4, v);
  }
  w.string(8, t.name);
}

/**
 * Serialize a single-graph ONNX model (default domain, opset {@link OPSET_VERSION}, or
 * {@link BFLOAT16_OPSET} with its IR version).
 */
export function encodeModel(graph: GraphDef, producerVersion: string, opset: typeof OPSET_VERSION | typeof BFLOAT16_OPSET = OPSET_VERSION): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, opset === OPSET_VERSION ? IR_VERSION : BFLOAT16_IR_VERSION);
  w.string(2, '@lmo/onnxruntime');
  w.string(3, producerVersion);
  w.message(7, (g) => {
    graph.nodes.forEach((node, i) => g.message(1, (n) => writeNode(n, node, i)));
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (m) => writeInitializer(m, t));
    for (const input of graph.inputs) g.message(11, (m) => writeValueInfo(m, input));
    for (const output of graph.outputs) g.message(12, (m) => writeValueInfo(m, output));
  });
  w.message(8, (o) => o.string(1, '').int(2, opset));
  return w.finish().slice();
}
