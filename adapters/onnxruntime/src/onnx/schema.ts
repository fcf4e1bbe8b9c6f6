// ONNX's protobuf messages, decoded and encoded by protobufjs from the generated descriptor of
// onnx.proto (schema.generated.ts), with TypeScript views of the fields this package reads.
// Decoded messages are plain objects: int64 fields as numbers (a value beyond 2^53, such as the
// INT64_MAX that exporters write as an open Slice end, keeps its magnitude), bytes as Uint8Array
// views of the input, repeated fields as arrays (empty when absent), absent optional fields undefined.
// Internal: the package exports what users need of it (OnnxModel and friends).

import protobuf from 'protobufjs/light.js';
import { onnxDescriptor } from './schema.generated.js';

const root = protobuf.Root.fromJSON(onnxDescriptor);

/** The protobufjs types of the messages this package reads or writes. */
export const Proto = {
  Model: root.lookupType('onnx.ModelProto'),
  Tensor: root.lookupType('onnx.TensorProto'),
} as const;

/** `TensorProto.DataType`. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** `AttributeProto.AttributeType`. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface TensorProto {
  dims: number[];
  dataType?: number;
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  uint64Data: number[];
  stringData: Uint8Array[];
  externalData: StringStringEntryProto[];
  dataLocation?: number;
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  refAttrName?: string;
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute: AttributeProto[];
  docString?: string;
}

export interface TensorShapeProto {
  dim: Array<{ dimValue?: number; dimParam?: string; denotation?: string }>;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: TensorShapeProto };
  sequenceType?: unknown;
  mapType?: unknown;
  optionalType?: unknown;
  sparseTensorType?: unknown;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  sparseInitializer: unknown[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

export interface ModelProto {
  irVersion?: number;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps: StringStringEntryProto[];
  functions: unknown[];
}

const PLAIN: protobuf.IConversionOptions = { longs: Number, arrays: true };

/** Decodes a serialized ModelProto (throws protobufjs's error on malformed bytes). */
export function decodeModelProto(bytes: Uint8Array): ModelProto {
  return Proto.Model.toObject(Proto.Model.decode(bytes), PLAIN) as ModelProto;
}

/** Decodes a serialized TensorProto. */
export function decodeTensorProto(bytes: Uint8Array): TensorProto {
  return Proto.Tensor.toObject(Proto.Tensor.decode(bytes), PLAIN) as TensorProto;
}

/** Serializes a ModelProto given as a plain object (int64 fields as numbers). */
export function encodeModelProto(model: ModelProto): Uint8Array {
  return Proto.Model.encode(Proto.Model.fromObject(model)).finish();
}

/** Serializes a TensorProto given as a plain object. */
export function encodeTensorProto(tensor: TensorProto): Uint8Array {
  return Proto.Tensor.encode(Proto.Tensor.fromObject(tensor)).finish();
}
