import { LmoError, shown } from '../../errors.js';
import { isTypedArray, LITTLE_ENDIAN, swapBytes } from '../typed-arrays.js';
import { DTYPE_NAMES, MAX_HEADER_BYTES, dtypeInfo, quote, type DtypeInfo, type SafetensorsFile, type SafetensorsTensor } from './format.js';
import { JsonNumber, JsonObject, parseHeaderJson, type JsonValue } from './json.js';

function bad(message: string): never {
  throw new LmoError('INVALID_SAFETENSORS', `invalid safetensors: ${message}`);
}

/** A tensor's header entry, validated. */
interface Entry {
  readonly name: string;
  readonly dtype: string;
  readonly info: DtypeInfo;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

const FIELDS = ['dtype', 'shape', 'data_offsets'];

/**
 * Reads a safetensors file: an 8-byte little-endian header size N, N bytes of UTF-8 JSON header
 * (starting with `{`, padded with trailing spaces), then the data buffer. Each header entry
 * `name: { dtype, shape, data_offsets: [begin, end] }` gives a tensor's bytes `[begin, end)` of the
 * buffer, `end − begin = product(shape) × element size`; the entries' ranges tile the buffer exactly
 * (sorted by offsets, as the reference sorts them: no hole, no overlap, no trailing byte). The
 * optional `__metadata__` maps strings to strings. Everything is validated before anything is
 * returned.
 *
 * Zero-copy where it can be: a tensor whose bytes start at a multiple of its element size within
 * `bytes.buffer` (which the layout of the reference writer and {@link encodeSafetensors} ensures
 * when `bytes` itself starts 8-byte aligned, as a freshly read file does) is a view into `bytes`, so
 * writing to one writes to the other; other tensors are copies.
 *
 * @throws LmoError `INVALID_SAFETENSORS`, one line naming the tensor or header field at fault: a file
 * shorter than 8 bytes; a header size beyond the file or beyond 100 MB; a header that is not UTF-8,
 * does not start with `{`, is not JSON, is padded with anything but spaces, or repeats a key; an
 * entry with a missing or unknown field, an unknown dtype, a shape that is not a list of
 * non-negative integers, offsets that are not two integers `begin ≤ end` of the size the shape and
 * dtype need; ranges that leave a hole or overlap; a buffer shorter or longer than the tensors;
 * `__metadata__` that is not an object of strings.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!isTypedArray(bytes, 'Uint8Array')) {
    throw new LmoError('INVALID_SAFETENSORS', `decodeSafetensors expects the file's bytes as a Uint8Array, got ${ArrayBuffer.isView(bytes) ? bytes.constructor.name : typeof bytes}`);
  }
  if (bytes.length < 8) bad(`the file has ${bytes.length} bytes, fewer than the 8 of its header size`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) bad(`the header size ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > bytes.length) bad(`the header size ${n} runs past the end of the file (${bytes.length} bytes)`);
  if (n === 0 || bytes[8] !== 0x7b) bad(`the header must begin with "{"`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    bad('the header is not valid UTF-8');
  }
  const header = parseHeaderJson(text);
  if (!(header instanceof JsonObject)) bad('the header is not a JSON object');

  const entries: Entry[] = [];
  const seen = new Set<string>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of header.entries) {
    if (seen.has(name)) bad(name === '__metadata__' ? 'the header has "__metadata__" twice' : `tensor ${quote(name)} appears twice in the header`);
    seen.add(name);
    if (name === '__metadata__') metadata = readMetadata(value);
    else entries.push(readEntry(name, value));
  }

  const dataLength = bytes.length - 8 - n;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of byOffset) {
    if (e.begin > cursor) bad(`bytes ${cursor}..${e.begin} of the data belong to no tensor (a hole before tensor ${quote(e.name)})`);
    if (e.begin < cursor) bad(`tensor ${quote(e.name)} (data_offsets [${e.begin}, ${e.end}]) overlaps tensor ${quote(previous!.name)} (up to ${cursor})`);
    if (e.end > dataLength) bad(`tensor ${quote(e.name)} ends at byte ${e.end} of the data, which has only ${dataLength} (the file is truncated)`);
    cursor = e.end;
    previous = e;
  }
  if (cursor < dataLength) bad(`${dataLength - cursor} trailing bytes after the last tensor's data`);

  const start = bytes.byteOffset + 8 + n;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of byOffset) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: arrayOf(bytes, start + e.begin, start + e.end, e.info) } as SafetensorsTensor);
  return { tensors, metadata };
}

/** The tensor's elements: a view into `bytes` when aligned (and the engine is little-endian), else a copy. */
function arrayOf(bytes: Uint8Array, from: number, to: number, info: DtypeInfo): SafetensorsTensor['data'] {
  const count = (to - from) / info.size;
  if (from % info.size === 0 && (LITTLE_ENDIAN || info.size === 1)) return new info.array(bytes.buffer, from, count);
  const copy = bytes.slice(from - bytes.byteOffset, to - bytes.byteOffset);
  if (!LITTLE_ENDIAN) swapBytes(copy, info.size);
  return new info.array(copy.buffer, 0, count);
}

function readMetadata(value: JsonValue): Record<string, string> {
  if (!(value instanceof JsonObject)) bad('"__metadata__" must be an object of strings');
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [key, v] of value.entries) {
    if (seen.has(key)) bad(`"__metadata__" has the key ${quote(key)} twice`);
    seen.add(key);
    if (typeof v !== 'string') bad(`"__metadata__" value of ${quote(key)} must be a string, got ${kindOf(v)}`);
    out.push([key, v]);
  }
  return Object.fromEntries(out); // own data properties, "__proto__" included
}

function readEntry(name: string, value: JsonValue): Entry {
  const at = `tensor ${quote(name)}`;
  if (!(value instanceof JsonObject)) bad(`${at}: its entry must be an object { dtype, shape, data_offsets }, got ${kindOf(value)}`);
  const fields = new Map<string, JsonValue>();
  for (const [key, v] of value.entries) {
    if (!FIELDS.includes(key)) bad(`${at} has an unknown field ${quote(key)} (expected dtype, shape, data_offsets)`);
    if (fields.has(key)) bad(`${at} has the field ${quote(key)} twice`);
    fields.set(key, v);
  }
  for (const key of FIELDS) if (!fields.has(key)) bad(`${at} has no "${key}"`);
  const dtype = fields.get('dtype');
  const info = typeof dtype === 'string' ? dtypeInfo(dtype) : undefined;
  if (info === undefined) {
    bad(`${at} has ${typeof dtype === 'string' ? `the unknown dtype ${quote(dtype)}` : `a dtype that is ${kindOf(dtype!)}`} (supported: ${DTYPE_NAMES.join(', ')})`);
  }
  const shape = integers(fields.get('shape')!);
  if (shape === undefined) bad(`${at}: shape must be a list of non-negative integers`);
  const offsets = integers(fields.get('data_offsets')!);
  if (offsets?.length !== 2) bad(`${at}: data_offsets must be two non-negative integers [begin, end]`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) bad(`${at}: data_offsets [${begin}, ${end}] end before they begin`);
  const count = shape.includes(0) ? 0 : shape.reduce((a, d) => a * d, 1);
  if (end - begin !== count * info.size) {
    bad(`${at}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype as string} needs ${count * info.size}`);
  }
  return { name, dtype: dtype as string, info, shape, begin, end };
}

/** The value as a list of non-negative safe integers written as plain integer literals, or `undefined`. */
function integers(value: JsonValue): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: number[] = [];
  for (const v of value) {
    if (!(v instanceof JsonNumber) || !/^(?:0|[1-9][0-9]*)$/.test(v.text)) return undefined;
    const x = Number(v.text);
    if (!Number.isSafeInteger(x)) return undefined;
    out.push(x);
  }
  return out;
}

function kindOf(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof JsonObject) return 'an object';
  if (v instanceof JsonNumber) return `the number ${v.text.length > 40 ? `${v.text.slice(0, 37)}...` : v.text}`;
  return typeof v === 'string' ? 'a string' : `the boolean ${shown(v)}`;
}
