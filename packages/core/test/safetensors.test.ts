/**
 * safetensors: a file written byte by byte from the published format, the reference writer's layout
 * (dtype order, name order, 8-byte padding, alignment), zero-copy reads, and one test per way a file
 * or a tensor can be wrong, each a one-line LmoError naming the culprit.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { asFloat32, decodeSafetensors, encodeSafetensors, type SafetensorsDtype, type SafetensorsTensor } from '../src/index.js';

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/**
 * From the format: u64 little-endian header size 312 (0x138); the header, 307 bytes of JSON and 5
 * spaces; then the data buffer: step = 7 as int64; w = [1, −2] as float32; b = [1, 0.5] as
 * bfloat16 (0x3f80, 0x3f00); h = [65504] as float16 (0x7bff); e, a [0, 3] float32, holds no bytes.
 */
const FIXTURE = Uint8Array.from([
  0x38, 0x01, 0, 0, 0, 0, 0, 0,
  ...ascii('{"__metadata__":{"format":"pt"},'),
  ...ascii('"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'),
  ...ascii('"e":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},'),
  ...ascii('"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},'),
  ...ascii('"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},'),
  ...ascii('"h":{"dtype":"F16","shape":[1],"data_offsets":[20,22]}}'),
  ...ascii('     '),
  0x07, 0, 0, 0, 0, 0, 0, 0,
  0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0,
  0x80, 0x3f, 0x00, 0x3f,
  0xff, 0x7b,
]);

function expectInvalid(f: () => unknown, ...fragments: string[]): LmoError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an LmoError mentioning ${fragments.join(', ')}`).toBeInstanceOf(LmoError);
  const e = error as LmoError;
  expect(e.code, e.message).toBe('INVALID_SAFETENSORS');
  expect(e.message).not.toContain('\n');
  for (const s of fragments) expect(e.message).toContain(s);
  return e;
}

/** A file from a header text and a data buffer (or its length, zero-filled), the size field computed. */
function file(header: string, data: number | Uint8Array = 0, sizeField?: number | bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(sizeField ?? h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const entry = (dtype: string, shape: number[], begin: number, end: number): string =>
  `{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${end}]}`;

function bytesOf(t: SafetensorsTensor): number[] {
  return Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

describe('the published format, byte for byte', () => {
  it('reads the hand-made file', () => {
    const { tensors, metadata } = decodeSafetensors(FIXTURE);
    expect(metadata).toEqual({ format: 'pt' });
    expect([...tensors.keys()]).toEqual(['step', 'e', 'w', 'b', 'h']);
    expect(tensors.get('step')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.of(7n) });
    expect(tensors.get('e')).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });
    expect(tensors.get('w')).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.of(1, -2) });
    expect(tensors.get('b')).toEqual({ dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0x3f00) });
    expect(tensors.get('h')).toEqual({ dtype: 'F16', shape: [1], data: Uint16Array.of(0x7bff) });
    expect(Array.from(asFloat32(tensors.get('b')!))).toEqual([1, 0.5]);
    expect(Array.from(asFloat32(tensors.get('h')!))).toEqual([65504]);
  });

  it('writes exactly those bytes from the same tensors, given in any order', () => {
    const tensors = new Map<string, SafetensorsTensor>([
      ['h', { dtype: 'F16', shape: [1], data: Uint16Array.of(0x7bff) }],
      ['b', { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0x3f00) }],
      ['w', { dtype: 'F32', shape: [2], data: Float32Array.of(1, -2) }],
      ['e', { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }],
      ['step', { dtype: 'I64', shape: [], data: BigInt64Array.of(7n) }],
    ]);
    expect(Array.from(encodeSafetensors(tensors, { format: 'pt' }))).toEqual(Array.from(FIXTURE));
  });

  it('writes no tensors as "{}" and six spaces', () => {
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
    expect(decodeSafetensors(encodeSafetensors({}))).toEqual({ tensors: new Map(), metadata: {} });
  });

  it('reads headers as other writers lay them out: any entry order, JSON whitespace inside, escapes', () => {
    const header = `{ "w" : {"shape": [2], "data_offsets": [4, 12], "dtype": "F32"},\n "\\u00e9\\ud83d\\ude00\\n": ${entry('U8', [4], 0, 4)}, "__metadata__": {"k": "\\"v\\""} }   `;
    const data = Uint8Array.from([1, 2, 3, 4, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const { tensors, metadata } = decodeSafetensors(file(header, data));
    expect([...tensors.keys()]).toEqual(['é😀\n', 'w']);
    expect(tensors.get('w')).toEqual({ dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) });
    expect(metadata).toEqual({ k: '"v"' });
  });
});

describe("the reference writer's layout", () => {
  const ALL: SafetensorsDtype[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
  const ARRAYS = {
    BOOL: Uint8Array, U8: Uint8Array, I8: Int8Array, F8_E5M2: Uint8Array, F8_E4M3: Uint8Array, I16: Int16Array, U16: Uint16Array, F16: Uint16Array,
    BF16: Uint16Array, I32: Int32Array, U32: Uint32Array, F32: Float32Array, F64: Float64Array, I64: BigInt64Array, U64: BigUint64Array,
  } as const;
  const SIZES = { BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8 };
  const tensorOf = (dtype: SafetensorsDtype, n: number): SafetensorsTensor => {
    const data = new ARRAYS[dtype](n);
    new Uint8Array(data.buffer).forEach((_, i, a) => (a[i] = (i * 37 + n) & 0xff));
    return { dtype, shape: [n], data } as SafetensorsTensor;
  };

  it('orders by dtype alignment, largest first (the reference enum descending), then by name, every tensor aligned', () => {
    // odd lengths, so that any other order would misalign someone
    const tensors = new Map<string, SafetensorsTensor>(ALL.map((d, i) => [`t${i}`, tensorOf(d, 3)]));
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const { tensors: back } = decodeSafetensors(bytes);
    expect([...back.values()].map((t) => t.dtype)).toEqual(['U64', 'I64', 'F64', 'F32', 'U32', 'I32', 'BF16', 'F16', 'U16', 'I16', 'F8_E4M3', 'F8_E5M2', 'I8', 'U8', 'BOOL']);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: SafetensorsDtype; data_offsets: [number, number] }>;
    for (const [name, t] of back) {
      expect((8 + n + header[name]!.data_offsets[0]) % SIZES[t.dtype], name).toBe(0);
      expect(t.data.buffer, `${name} is a view, not a copy`).toBe(bytes.buffer);
      expect(bytesOf(t)).toEqual(bytesOf(tensors.get(name)!));
    }
  });

  it('orders names by Unicode code point (UTF-8 byte order), not by UTF-16 code unit', () => {
    const names = ['b', '\u{1f600}', 'a.9', '\uff61', 'a', 'a.10', ''];
    const bytes = encodeSafetensors(new Map(names.map((k) => [k, tensorOf('F32', 1)])));
    expect([...decodeSafetensors(bytes).tensors.keys()]).toEqual(['', 'a', 'a.10', 'a.9', 'b', '\uff61', '\u{1f600}']);
  });

  it('takes a record too, with names a plain object treats specially', () => {
    const t = tensorOf('I32', 2);
    const record = Object.fromEntries([['__proto__', t], ['0', t], ['constructor', t]]) as Record<string, SafetensorsTensor>;
    const { tensors } = decodeSafetensors(encodeSafetensors(record, Object.fromEntries([['__proto__', 'x']])));
    expect([...tensors.keys()]).toEqual(['0', '__proto__', 'constructor']);
    const { metadata } = decodeSafetensors(encodeSafetensors({}, Object.fromEntries([['__proto__', 'x'], ['b', 'y'], ['a', '\n']])));
    expect(Object.entries(metadata)).toEqual([['__proto__', 'x'], ['a', '\n'], ['b', 'y']]);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('reads without copying where the data is aligned, and copies where it is not', () => {
    const bytes = encodeSafetensors({ w: tensorOf('F32', 5), d: tensorOf('F64', 2), b: tensorOf('U8', 3) });
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const aligned = decodeSafetensors(bytes).tensors;
    const copied = decodeSafetensors(shifted).tensors;
    for (const name of ['w', 'd', 'b']) expect(bytesOf(copied.get(name)!)).toEqual(bytesOf(aligned.get(name)!));
    expect(aligned.get('w')!.data.buffer).toBe(bytes.buffer);
    expect(copied.get('w')!.data.buffer).not.toBe(shifted.buffer);
    expect(copied.get('d')!.data.buffer).not.toBe(shifted.buffer);
    expect(copied.get('b')!.data.buffer).toBe(shifted.buffer); // bytes are always aligned
  });

  it('asFloat32 reads F32 as is, F16 and BF16 exactly, F64 rounded, and refuses the rest', () => {
    const w = Float32Array.of(1.5, -3);
    expect(asFloat32({ dtype: 'F32', shape: [2], data: w })).toBe(w);
    expect(Array.from(asFloat32({ dtype: 'F64', shape: [2], data: Float64Array.of(0.1, 1 + 2 ** -24) }))).toEqual([Math.fround(0.1), 1]);
    expectInvalid(() => asFloat32({ dtype: 'I32', shape: [1], data: Int32Array.of(1) }), 'not I32');
  });
});

describe('bad files: one line naming the culprit, nothing returned', () => {
  const w = entry('F32', [2], 0, 8);
  const cases: Array<[string, () => Uint8Array, ...string[]]> = [
    ['shorter than 8 bytes', () => new Uint8Array(7), 'the file has 7 bytes'],
    ['a header size beyond 100 MB', () => file('{}', 0, 100_000_001), 'header size 100000001 exceeds the limit of 100000000'],
    ['a header size of 2^64 − 1', () => file('{}', 0, 2n ** 64n - 1n), 'header size 18446744073709552000 exceeds the limit'],
    ['a header size beyond the file', () => file('{}', 0, 3), 'header size 3 runs past the end of the file (10 bytes)'],
    ['an empty header', () => file(''), 'must begin with "{"'],
    ['a header not starting with {', () => file(' {}'), 'must begin with "{"'],
    ['a header starting with a byte-order mark', () => file('\ufeff{}'), 'must begin with "{"'],
    ['a header that is a JSON list', () => file('[]'), 'must begin with "{"'],
    ['a header that is not UTF-8', () => Uint8Array.from([...file('{"a":{}}')].map((b, i) => (i === 10 ? 0xff : b))), 'not valid UTF-8'],
    ['a header that is not JSON', () => file('{"w":}'), 'not valid JSON', 'at character 5'],
    ['a header cut short', () => file('{"w":'), 'not valid JSON'],
    ['padding other than spaces', () => file('{}\n'), '"\\n" after the JSON value'],
    ['padding with NUL bytes', () => file('{}\0\0'), 'after the JSON value'],
    ['two values', () => file('{} {}'), 'after the JSON value'],
    ['single quotes', () => file("{'w':1}"), 'not valid JSON'],
    ['a trailing comma', () => file(`{"w":${w},}`, 8), 'expected a key'],
    ['a raw control character in a name', () => file(`{"a\tb":${w}}`, 8), 'unescaped control character U+0009'],
    ['an unpaired surrogate escape in a name', () => file(`{"\\ud800":${w}}`, 8), 'unpaired surrogate'],
    ['a lone low surrogate escape', () => file(`{"\\udc00x":${w}}`, 8), 'unpaired surrogate'],
    ['an invalid escape', () => file(`{"\\x41":${w}}`, 8), 'invalid escape'],
    ['deep nesting', () => file(`{"w":${'['.repeat(100_000)}`), 'nesting deeper than 128'],
    ['a duplicate tensor name', () => file(`{"w":${w},"w":${entry('F32', [2], 8, 16)}}`, 16), 'tensor "w" appears twice'],
    ['a duplicate __metadata__', () => file(`{"__metadata__":{},"__metadata__":{}}`), '"__metadata__" twice'],
    ['a duplicate field', () => file(`{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), 'tensor "w" has the field "dtype" twice'],
    ['a duplicate metadata key', () => file(`{"__metadata__":{"a":"1","a":"2"}}`), '"__metadata__" has the key "a" twice'],
    ['an entry that is not an object', () => file(`{"w":[0,8]}`, 8), 'tensor "w": its entry must be an object', 'got a list'],
    ['a missing field', () => file(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, 8), 'tensor "w" has no "shape"'],
    ['an extra field', () => file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]}}`, 8), 'tensor "w" has an unknown field "offsets"'],
    ['an unknown dtype', () => file(`{"w":${entry('float32', [2], 0, 8)}}`, 8), 'tensor "w" has the unknown dtype "float32"'],
    ['a lower-case dtype', () => file(`{"w":${entry('f32', [2], 0, 8)}}`, 8), 'unknown dtype "f32"'],
    ['a dtype that is not a string', () => file(`{"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}`, 8), 'a dtype that is the number 4'],
    ['a shape that is a number', () => file(`{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}`, 8), 'tensor "w": shape must be a list of non-negative integers'],
    ['a negative dimension', () => file(`{"w":${entry('F32', [-2], 0, 8)}}`, 8), 'tensor "w": shape must be'],
    ['a fractional dimension', () => file(`{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}}`, 10), 'shape must be'],
    ['a dimension written 2.0', () => file(`{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, 8), 'shape must be'],
    ['a dimension written 2e0', () => file(`{"w":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`, 8), 'shape must be'],
    ['a dimension written as a string', () => file(`{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, 8), 'shape must be'],
    ['a dimension beyond 2^53', () => file(`{"w":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}`, 8), 'shape must be'],
    ['offsets that are not integers', () => file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}`, 8), 'tensor "w": data_offsets must be two non-negative integers'],
    ['three offsets', () => file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, 8), 'data_offsets must be two'],
    ['negative offsets', () => file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, 8), 'data_offsets must be two'],
    ['offsets that end before they begin', () => file(`{"w":${entry('F32', [0], 8, 0)}}`, 8), 'tensor "w": data_offsets [8, 0] end before they begin'],
    ['offsets not matching shape × dtype', () => file(`{"w":${entry('F32', [2, 3], 0, 8)}}`, 8), 'tensor "w": data_offsets [0, 8] hold 8 bytes, but shape [2, 3] of F32 needs 24'],
    ['a shape whose size overflows', () => file(`{"w":${entry('F64', [2 ** 52, 2 ** 52], 0, 8)}}`, 8), 'tensor "w": data_offsets [0, 8] hold 8 bytes'],
    ['overlapping tensors', () => file(`{"a":${entry('F32', [2], 0, 8)},"b":${entry('F32', [2], 4, 12)}}`, 12), 'tensor "b" (data_offsets [4, 12]) overlaps tensor "a"'],
    ['an empty tensor inside another', () => file(`{"a":${entry('F32', [2], 0, 8)},"b":${entry('F32', [0], 4, 4)}}`, 8), 'tensor "b"', 'overlaps tensor "a"'],
    ['a hole at the start', () => file(`{"a":${entry('F32', [2], 4, 12)}}`, 12), 'bytes 0..4 of the data belong to no tensor (a hole before tensor "a")'],
    ['a hole between tensors', () => file(`{"a":${entry('F32', [1], 0, 4)},"b":${entry('F32', [1], 8, 12)}}`, 12), 'bytes 4..8', 'before tensor "b"'],
    ['a truncated buffer', () => file(`{"a":${entry('F32', [1], 0, 4)},"b":${entry('F32', [2], 4, 12)}}`, 11), 'tensor "b" ends at byte 12 of the data, which has only 11 (the file is truncated)'],
    ['trailing bytes', () => file(`{"w":${w}}`, 9), '1 trailing bytes after the last tensor'],
    ['data with no tensors', () => file('{}', 3), '3 trailing bytes'],
    ['metadata that is not an object', () => file(`{"__metadata__":["a"]}`), '"__metadata__" must be an object of strings'],
    ['metadata null', () => file(`{"__metadata__":null}`), '"__metadata__" must be an object'],
    ['a metadata value that is not a string', () => file(`{"__metadata__":{"step":3}}`), '"__metadata__" value of "step" must be a string, got the number 3'],
    ['a nested metadata value', () => file(`{"__metadata__":{"cfg":{"a":"b"}}}`), 'value of "cfg" must be a string, got an object'],
  ];

  it.each(cases)('%s', (_, make, ...fragments) => {
    const bytes = make();
    const before = bytes.slice();
    expectInvalid(() => decodeSafetensors(bytes), ...fragments);
    expect(bytes).toEqual(before);
  });

  it('names the tensor in one line even when its name holds newlines or is very long', () => {
    const name = `a\nb${'x'.repeat(500)}`;
    const e = expectInvalid(() => decodeSafetensors(file(`{${JSON.stringify(name)}:${entry('F32', [3], 0, 8)}}`, 8)), '"a\\nbxxx');
    expect(e.message.length).toBeLessThan(250);
  });

  it('refuses what is not a Uint8Array', () => {
    expectInvalid(() => decodeSafetensors(new ArrayBuffer(16) as unknown as Uint8Array), 'expects the file\'s bytes as a Uint8Array, got object');
    expectInvalid(() => decodeSafetensors(new Int8Array(16) as unknown as Uint8Array), 'got Int8Array');
  });
});

describe('bad tensors to write: one line naming the culprit', () => {
  const f32 = (n: number): SafetensorsTensor => ({ dtype: 'F32', shape: [n], data: new Float32Array(n) });
  const cases: Array<[string, () => Uint8Array, string]> = [
    ['an unknown dtype', () => encodeSafetensors({ w: { dtype: 'F8', shape: [1], data: new Uint8Array(1) } as unknown as SafetensorsTensor }), 'tensor "w" has the unknown dtype "F8"'],
    ['a negative dimension', () => encodeSafetensors({ w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }), 'tensor "w": shape must be a list of non-negative integers'],
    ['a fractional dimension', () => encodeSafetensors({ w: { dtype: 'F32', shape: [1.5], data: new Float32Array(1) } }), 'shape must be'],
    ['a shape that is not a list', () => encodeSafetensors({ w: { dtype: 'F32', shape: 3 as unknown as number[], data: new Float32Array(3) } }), 'shape must be'],
    ['data of another type', () => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) as unknown as Float32Array } }), 'tensor "w": data of dtype F32 must be a Float32Array, got Float64Array'],
    ['float data for F16', () => encodeSafetensors({ h: { dtype: 'F16', shape: [2], data: new Float32Array(2) as unknown as Uint16Array } }), 'data of dtype F16 must be a Uint16Array'],
    ['a plain list as data', () => encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: [1, 2] as unknown as Float32Array } }), 'must be a Float32Array, got object'],
    ['data shorter than the shape', () => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } }), 'tensor "w": shape [2, 3] holds 6 elements, data has 5'],
    ['the reserved name', () => encodeSafetensors({ __metadata__: f32(1) }), '"__metadata__" is reserved'],
    ['a name with an unpaired surrogate', () => encodeSafetensors({ 'a\ud800': f32(1) }), 'is not well-formed Unicode'],
    ['a tensor that is not an object', () => encodeSafetensors({ w: null as unknown as SafetensorsTensor }), 'tensor "w" must be { dtype, shape, data }, got null'],
    ['a metadata value that is not a string', () => encodeSafetensors({}, { step: 3 as unknown as string }), 'metadata value of "step" must be a string, got number'],
    ['a metadata key with an unpaired surrogate', () => encodeSafetensors({}, { '\udc00': 'x' }), 'metadata key'],
    ['metadata that is not a record', () => encodeSafetensors({}, ['x'] as unknown as Record<string, string>), 'metadata must be a record of strings'],
    ['tensors that are a list', () => encodeSafetensors([f32(1)] as unknown as Record<string, SafetensorsTensor>), 'tensors must be a Map or a record'],
  ];
  it.each(cases)('%s', (_, make, fragment) => {
    expectInvalid(make, fragment);
  });
});
