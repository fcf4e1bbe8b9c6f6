import { LmoError } from '../../errors.js';
import { LITTLE_ENDIAN, isTypedArray, swapBytes } from '../typed-arrays.js';
import { DTYPE_NAMES, dtypeInfo, quote, type DtypeInfo, type SafetensorsTensor } from './format.js';

function bad(message: string): never {
  throw new LmoError('INVALID_SAFETENSORS', `cannot write safetensors: ${message}`);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Item {
  readonly name: string;
  readonly tensor: SafetensorsTensor;
  readonly info: DtypeInfo;
}

/**
 * Writes tensors (and optional string metadata) as a safetensors file, laid out as the reference
 * writer lays it out: tensors sorted by dtype alignment, largest first (the reference's dtype order:
 * U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16, F8_E4M3, F8_E5M2, I8, U8, BOOL), then by name
 * (by Unicode code point, which is UTF-8 byte order); their bytes back to back in that order; the
 * header `{"__metadata__":{…},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},…}` in
 * that order too, compact, with the metadata keys sorted and `__metadata__` left out when empty,
 * padded with spaces to a multiple of 8 bytes. Every tensor thus starts at a multiple of its
 * element size and {@link decodeSafetensors} reads it back without copying.
 *
 * @param tensors By name: a `Map` (any insertion order) or a record.
 * @throws LmoError `INVALID_SAFETENSORS` naming the tensor or key at fault: an unknown dtype, a shape
 * that is not a list of non-negative integers, `data` of the wrong array type or length, the reserved
 * name `__metadata__`, a name or key that is not well-formed Unicode, or a metadata value that is
 * not a string.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) bad('tensors must be a Map or a record of tensors by name');
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) bad('metadata must be a record of strings');
  const named = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafetensorsTensor>)] : Object.entries(tensors);
  const items = named.map(([name, tensor]) => check(name, tensor));
  items.sort((a, b) => b.info.rank - a.info.rank || byCodePoint(a.name, b.name));

  const meta = Object.entries(metadata).sort(([a], [b]) => byCodePoint(a, b));
  for (const [key, value] of meta) {
    wellFormed(key, `metadata key ${quote(key)}`);
    if (typeof value !== 'string') bad(`metadata value of ${quote(key)} must be a string, got ${typeof value}`);
    wellFormed(value, `metadata value of ${quote(key)}`);
  }

  const parts: string[] = [];
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let offset = 0;
  for (const { name, tensor } of items) {
    const end = offset + tensor.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;

  let out: Uint8Array;
  try {
    out = new Uint8Array(8 + n + offset);
  } catch {
    bad(`the file would be ${8 + n + offset} bytes, more than this engine can allocate`);
  }
  const view = new DataView(out.buffer);
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const { tensor, info } of items) {
    const { buffer, byteOffset, byteLength } = tensor.data;
    const dest = out.subarray(at, at + byteLength);
    dest.set(new Uint8Array(buffer, byteOffset, byteLength));
    if (!LITTLE_ENDIAN) swapBytes(dest, info.size);
    at += byteLength;
  }
  return out;
}

function check(name: string, tensor: SafetensorsTensor): Item {
  if (typeof name !== 'string') bad(`tensor names must be strings, got ${typeof name}`);
  const at = `tensor ${quote(name)}`;
  if (name === '__metadata__') bad('"__metadata__" is reserved for the metadata and cannot name a tensor');
  wellFormed(name, `the name ${quote(name)}`);
  if (tensor === null || typeof tensor !== 'object') bad(`${at} must be { dtype, shape, data }, got ${tensor === null ? 'null' : typeof tensor}`);
  const info = typeof tensor.dtype === 'string' ? dtypeInfo(tensor.dtype) : undefined;
  if (info === undefined) bad(`${at} has the unknown dtype ${quote(String(tensor.dtype))} (supported: ${DTYPE_NAMES.join(', ')})`);
  const { shape, data } = tensor;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`${at}: shape must be a list of non-negative integers`);
  if (!isTypedArray(data, info.array.name)) bad(`${at}: data of dtype ${tensor.dtype} must be a ${info.array.name}, got ${ArrayBuffer.isView(data) ? data.constructor.name : typeof data}`);
  const count = shape.includes(0) ? 0 : shape.reduce((a, d) => a * d, 1);
  if (data.length !== count) bad(`${at}: shape [${shape.join(', ')}] holds ${count} elements, data has ${data.length}`);
  return { name, tensor, info };
}

function wellFormed(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) bad(`${what} is not well-formed Unicode (it has an unpaired surrogate)`);
}

/** Compares by Unicode code point (UTF-8 byte order, the reference's order of names), not by UTF-16 unit. */
function byCodePoint(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length; // one is a prefix of the other
}
