// Small ONNX models for the trainer's tests, written with the package's own protobuf schema.
import { readFileSync } from 'node:fs';
import { decodeModelProto, encodeModelProto, ElemType, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../../src/onnx/schema.js';
import { constantTensor, floatTensor } from '../../src/onnx/tensor-data.js';
import { torchFixture } from './fixtures.js';

export { nodeProto as node } from '../../src/training/attributes.js';

/** A tensor input/output description; a string dimension is symbolic (dynamic). */
export function value(name: string, shape: ReadonlyArray<number | string>, elemType: number = ElemType.FLOAT): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

export const floats = (name: string, dims: readonly number[], values: ArrayLike<number>): TensorProto => floatTensor(name, dims, Float32Array.from(values as ArrayLike<number>));
export const int64s = (name: string, dims: readonly number[], values: readonly number[]): TensorProto => constantTensor(name, ElemType.INT64, dims, values);

/** A serialized model of one graph. */
export function model(graph: { nodes: NodeProto[]; inputs: ValueInfoProto[]; outputs: ValueInfoProto[]; initializers?: TensorProto[] }, opset = 17): Uint8Array {
  const proto: ModelProto = {
    irVersion: 8,
    producerName: 'lmo-tests',
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: [],
    functions: [],
    graph: { name: 'g', node: graph.nodes, input: graph.inputs, output: graph.outputs, initializer: graph.initializers ?? [], sparseInitializer: [], valueInfo: [] },
  };
  return encodeModelProto(proto);
}

/** A committed fixture's model, decoded, changed by `edit`, encoded again. */
export function editedFixture(name: string, edit: (m: ModelProto) => void): Uint8Array {
  const m = decodeModelProto(readFileSync(torchFixture(name, 'model.onnx')));
  edit(m);
  return encodeModelProto(m);
}
