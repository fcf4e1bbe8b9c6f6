// The values of a TensorProto as typed arrays, and float32 TensorProtos from arrays. ONNX stores
// tensor data little-endian, in `raw_data` or in the typed repeated fields (`float_data`, …).
// Internal.

import { ElemType, type TensorProto } from './schema.js';

/** The onnxruntime-js name of each supported ONNX element type (`ort.Tensor.type`). */
export const TYPE_NAMES: Readonly<Record<number, string>> = {
  [ElemType.FLOAT]: 'float32',
  [ElemType.DOUBLE]: 'float64',
  [ElemType.FLOAT16]: 'float16',
  [ElemType.INT64]: 'int64',
  [ElemType.INT32]: 'int32',
  [ElemType.INT16]: 'int16',
  [ElemType.INT8]: 'int8',
  [ElemType.UINT64]: 'uint64',
  [ElemType.UINT32]: 'uint32',
  [ElemType.UINT16]: 'uint16',
  [ElemType.UINT8]: 'uint8',
  [ElemType.BOOL]: 'bool',
  [ElemType.STRING]: 'string',
  [ElemType.BFLOAT16]: 'bfloat16',
};

/** `float32` → 1, … (the inverse of {@link TYPE_NAMES}). */
export const ELEM_TYPES: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(TYPE_NAMES).map(([k, v]) => [v, Number(k)]));

/** The name of an element type, or `type <n>` for one this package does not know. */
export function typeName(elemType: number | undefined): string {
  return TYPE_NAMES[elemType ?? 0] ?? `type ${elemType ?? 'undefined'}`;
}

/** Floating-point element types that gradients flow through. */
export function isFloatType(elemType: number): boolean {
  return elemType === ElemType.FLOAT || elemType === ElemType.DOUBLE || elemType === ElemType.FLOAT16 || elemType === ElemType.BFLOAT16;
}

/** Number of elements of a shape. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** A little-endian copy of `raw` read as `n` elements of `size` bytes each. */
function rawView(raw: Uint8Array, size: number, n: number, name: string): DataView {
  if (raw.byteLength !== size * n) throw new RangeError(`tensor ${name}: raw_data holds ${raw.byteLength} bytes, ${size * n} expected`);
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Where a tensor keeps its values: this package reads neither external files nor segments. */
function checkLocation(t: TensorProto): void {
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    throw new RangeError(`tensor ${t.name ?? ''} keeps its data in an external file, which this package does not read; save the model with its data inside (onnx.save(model, path, save_as_external_data=False))`);
  }
}

/** The values of a float32 tensor, as a fresh array. */
export function floatValues(t: TensorProto): Float32Array {
  checkLocation(t);
  const n = elementCount(t.dims);
  const name = t.name ?? '';
  if (t.dataType !== ElemType.FLOAT) throw new RangeError(`tensor ${name} is ${typeName(t.dataType)}, float32 expected`);
  if (t.rawData !== undefined && t.rawData.byteLength > 0) {
    const view = rawView(t.rawData, 4, n, name);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  if (t.floatData.length !== n) throw new RangeError(`tensor ${name}: float_data holds ${t.floatData.length} values, ${n} expected`);
  return Float32Array.from(t.floatData);
}

/**
 * The values of a tensor of any numeric or boolean type as numbers (int64 beyond 2^53 keeps its
 * magnitude, as exporters' INT64_MAX sentinels need). For the small constants of a graph: shapes,
 * axes, indices, scalars.
 */
export function numericValues(t: TensorProto): number[] {
  checkLocation(t);
  const n = elementCount(t.dims);
  const name = t.name ?? '';
  const type = t.dataType ?? 0;
  const raw = t.rawData !== undefined && t.rawData.byteLength > 0 ? t.rawData : undefined;
  const read = (size: number, get: (v: DataView, offset: number) => number): number[] => {
    const view = rawView(raw!, size, n, name);
    return Array.from({ length: n }, (_, i) => get(view, size * i));
  };
  switch (type) {
    case ElemType.FLOAT:
      return Array.from(floatValues(t));
    case ElemType.DOUBLE:
      return raw ? read(8, (v, o) => v.getFloat64(o, true)) : [...t.doubleData];
    case ElemType.INT64:
      return raw ? read(8, (v, o) => Number(v.getBigInt64(o, true))) : [...t.int64Data];
    case ElemType.UINT64:
      return raw ? read(8, (v, o) => Number(v.getBigUint64(o, true))) : [...t.uint64Data];
    case ElemType.INT32:
      return raw ? read(4, (v, o) => v.getInt32(o, true)) : [...t.int32Data];
    case ElemType.UINT32:
      return raw ? read(4, (v, o) => v.getUint32(o, true)) : [...t.uint64Data];
    case ElemType.INT16:
      return raw ? read(2, (v, o) => v.getInt16(o, true)) : [...t.int32Data];
    case ElemType.UINT16:
      return raw ? read(2, (v, o) => v.getUint16(o, true)) : [...t.int32Data];
    case ElemType.INT8:
      return raw ? read(1, (v, o) => v.getInt8(o)) : [...t.int32Data];
    case ElemType.UINT8:
    case ElemType.BOOL:
      return raw ? read(1, (v, o) => v.getUint8(o)) : [...t.int32Data];
    default:
      throw new RangeError(`tensor ${name}: cannot read ${typeName(type)} values`);
  }
}

/** A float32 TensorProto holding `data` (little-endian `raw_data`). */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return emptyTensor({ name, dims: [...dims], dataType: ElemType.FLOAT, rawData: raw });
}

/** `t`'s name, element type, shape and doc string without its values. */
export function tensorShell(t: TensorProto): TensorProto {
  return emptyTensor({ name: t.name ?? '', dims: [...t.dims], dataType: t.dataType ?? 0, ...(t.docString ? { docString: t.docString } : {}) });
}

/** A TensorProto of int64 or floating-point values (given as numbers) for a graph constant. */
export function constantTensor(name: string, dataType: number, dims: readonly number[], values: readonly number[]): TensorProto {
  const t = emptyTensor({ name, dims: [...dims], dataType });
  switch (dataType) {
    case ElemType.INT64:
      t.int64Data = [...values];
      break;
    case ElemType.FLOAT:
      t.floatData = [...values];
      break;
    case ElemType.DOUBLE:
      t.doubleData = [...values];
      break;
    case ElemType.INT32:
    case ElemType.BOOL:
      t.int32Data = [...values];
      break;
    case ElemType.UINT32:
      t.uint64Data = [...values];
      break;
    default:
      throw new RangeError(`constantTensor: ${typeName(dataType)} constants are not supported`);
  }
  return t;
}

function emptyTensor(fields: Partial<TensorProto> & { dims: number[] }): TensorProto {
  return { floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringData: [], externalData: [], ...fields };
}
