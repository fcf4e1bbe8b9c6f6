// Turning a step's inputs (onnxruntime tensors, typed arrays or number arrays) into the feeds of
// the training session, checked against the shapes and types the graph was built for.
// Internal.

import type * as ort from 'onnxruntime-common';
import { ElemType } from '../onnx/schema.js';
import { elementCount, typeName } from '../onnx/tensor-data.js';
import { listNames, trainingError } from './errors.js';
import type { ValueInfo } from './facts.js';

/** A step's input: an `ort.Tensor`, or its values as a typed array or numbers (row-major). */
export type FeedValue = ort.Tensor | Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | readonly number[];

/** A step's inputs by name. */
export type Feeds = Readonly<Record<string, FeedValue>>;

type Data = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

function convert(name: string, value: Exclude<FeedValue, ort.Tensor>, dtype: number): Data {
  const bad = (): never => {
    throw trainingError('SHAPE_MISMATCH', `input "${name}" is ${typeName(dtype)}; got ${Object.prototype.toString.call(value).slice(8, -1)}`);
  };
  switch (dtype) {
    case ElemType.FLOAT:
      if (value instanceof Float32Array) return value;
      if (Array.isArray(value)) return Float32Array.from(value);
      return bad();
    case ElemType.DOUBLE:
      if (value instanceof Float64Array) return value;
      if (Array.isArray(value)) return Float64Array.from(value);
      return bad();
    case ElemType.INT64:
      if (value instanceof BigInt64Array) return value;
      if (value instanceof Int32Array || Array.isArray(value)) {
        const out = new BigInt64Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const v = value[i]!;
          if (!Number.isInteger(v)) throw trainingError('SHAPE_MISMATCH', `input "${name}" is int64; element ${i} is ${v}`);
          out[i] = BigInt(v);
        }
        return out;
      }
      return bad();
    case ElemType.INT32:
      if (value instanceof Int32Array) return value;
      if (Array.isArray(value)) return Int32Array.from(value);
      return bad();
    case ElemType.BOOL:
      if (value instanceof Uint8Array) return value;
      if (Array.isArray(value)) return Uint8Array.from(value, (v) => (v ? 1 : 0));
      return bad();
    default:
      throw trainingError('BACKEND', `input "${name}": ${typeName(dtype)} inputs are not supported`);
  }
}

/** The session feeds for `feeds`, every graph input present with its type and element count. */
export function makeFeeds(feeds: Feeds, inputs: ReadonlyMap<string, ValueInfo>, Tensor: typeof ort.Tensor): Record<string, ort.Tensor> {
  if (feeds === null || typeof feeds !== 'object') throw trainingError('INVALID_HYPERPARAMETER', `feeds must be an object of inputs by name, got ${String(feeds)}`);
  for (const name of Object.keys(feeds)) {
    if (!inputs.has(name)) throw trainingError('INVALID_HYPERPARAMETER', `feeds: the training graph has no input "${name}" (its inputs are ${listNames([...inputs.keys()])})`);
  }
  const out: Record<string, ort.Tensor> = {};
  for (const [name, info] of inputs) {
    const value = feeds[name];
    if (value === undefined) throw trainingError('INVALID_HYPERPARAMETER', `feeds: input "${name}" (${typeName(info.dtype)} [${info.shape.join(', ')}]) is missing`);
    const n = elementCount(info.shape);
    if (value instanceof Tensor || (typeof value === 'object' && 'dims' in value && 'type' in value)) {
      const t = value as ort.Tensor;
      if (t.type !== typeName(info.dtype) || t.dims.length !== info.shape.length || t.dims.some((d, i) => d !== info.shape[i])) {
        throw trainingError('SHAPE_MISMATCH', `input "${name}" must be ${typeName(info.dtype)} [${info.shape.join(', ')}], got ${t.type} [${t.dims.join(', ')}]`);
      }
      out[name] = t;
      continue;
    }
    const data = convert(name, value as Exclude<FeedValue, ort.Tensor>, info.dtype);
    if (data.length !== n) throw trainingError('SHAPE_MISMATCH', `input "${name}" needs ${n} values ([${info.shape.join(', ')}]), got ${data.length}`);
    out[name] = new Tensor(typeName(info.dtype) as 'float32', data as Float32Array, [...info.shape]);
  }
  return out;
}
