/**
 * The array type that holds each safetensors dtype's elements, little-endian and row-major as in the
 * file. float16 and bfloat16 stay raw bits (`Uint16Array`; convert with `fromFloat16Bits`,
 * `fromBfloat16Bits` or {@link asFloat32}); the 8-bit floats and `BOOL` stay raw bytes.
 */
export interface SafetensorsArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
  F8_E5M2: Uint8Array;
  F8_E4M3: Uint8Array;
}

/** A dtype name as the safetensors header spells it. */
export type SafetensorsDtype = keyof SafetensorsArrays;

/**
 * One tensor: its dtype, its shape (`[]` for a scalar, zeros allowed) and its elements in row-major
 * order, `data.length` = the product of `shape`. Narrowing on `dtype` narrows `data`.
 */
export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { readonly dtype: D; readonly shape: readonly number[]; readonly data: SafetensorsArrays[D] };
}[SafetensorsDtype];

/** A decoded file: its tensors by name, in the file's data order, and its `__metadata__` (`{}` when absent). */
export interface SafetensorsFile {
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Record<string, string>;
}

type AnyArray = SafetensorsArrays[SafetensorsDtype];

interface ArrayType {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): AnyArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/**
 * The dtypes in the order of the reference implementation's `Dtype` enum, which is its order of
 * increasing alignment: its writer lays tensors out by this order descending (then by name), so
 * that every tensor starts at a multiple of its element size.
 */
const ORDER: ReadonlyArray<readonly [SafetensorsDtype, ArrayType]> = [
  ['BOOL', Uint8Array],
  ['U8', Uint8Array],
  ['I8', Int8Array],
  ['F8_E5M2', Uint8Array],
  ['F8_E4M3', Uint8Array],
  ['I16', Int16Array],
  ['U16', Uint16Array],
  ['F16', Uint16Array],
  ['BF16', Uint16Array],
  ['I32', Int32Array],
  ['U32', Uint32Array],
  ['F32', Float32Array],
  ['F64', Float64Array],
  ['I64', BigInt64Array],
  ['U64', BigUint64Array],
];

/** What the reader and writer need to know of a dtype. */
export interface DtypeInfo {
  readonly array: ArrayType;
  /** Bytes per element. */
  readonly size: number;
  /** Position in the reference's enum: the writer puts higher ranks first. */
  readonly rank: number;
}

const DTYPES = new Map<string, DtypeInfo>(ORDER.map(([name, array], rank) => [name, { array, size: array.BYTES_PER_ELEMENT, rank }]));

/** The dtype's description, or `undefined` for a name that is not a supported dtype. */
export function dtypeInfo(name: string): DtypeInfo | undefined {
  return DTYPES.get(name);
}

/** The names of the supported dtypes, for messages. */
export const DTYPE_NAMES: readonly string[] = ORDER.map(([name]) => name);

/** The reference limit on the header's size, in bytes. */
export const MAX_HEADER_BYTES = 100_000_000;

/** A name or value quoted for a one-line message (escapes newlines; long strings shortened). */
export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
