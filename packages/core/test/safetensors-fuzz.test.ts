/**
 * Properties of the safetensors reader and writer over random inputs: random tensor sets round-trip
 * exactly (and canonically: decoding and re-encoding gives the same bytes); random mutations of valid
 * files, random headers and random bytes either decode to something that re-encodes to an
 * equivalent file or throw an `INVALID_SAFETENSORS` LmoError, never another error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsDtype, type SafetensorsFile, type SafetensorsTensor } from '../src/index.js';

const DTYPES: SafetensorsDtype[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
const ARRAYS = {
  BOOL: Uint8Array, U8: Uint8Array, I8: Int8Array, F8_E5M2: Uint8Array, F8_E4M3: Uint8Array, I16: Int16Array, U16: Uint16Array, F16: Uint16Array,
  BF16: Uint16Array, I32: Int32Array, U32: Uint32Array, F32: Float32Array, F64: Float64Array, I64: BigInt64Array, U64: BigUint64Array,
} as const;

const name = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '0', 'transformer.h.0.attn.c_attn.weight'));
const wellFormed = (s: string): boolean => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** A tensor of any dtype and a small shape (zeros and scalars included) holding random bytes (NaN payloads and all). */
const tensor: fc.Arbitrary<SafetensorsTensor> = fc
  .tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) => {
    const count = shape.reduce((a, d) => a * d, 1);
    const size = ARRAYS[dtype].BYTES_PER_ELEMENT;
    return fc.uint8Array({ minLength: count * size, maxLength: count * size }).map((bytes) => {
      const data = new ARRAYS[dtype](count);
      new Uint8Array(data.buffer).set(bytes);
      return { dtype, shape, data } as SafetensorsTensor;
    });
  });

const tensorSet = fc.uniqueArray(fc.tuple(name.filter((n) => n !== '__metadata__' && wellFormed(n)), tensor), { selector: ([n]) => n, maxLength: 6 });
const metadata = fc.dictionary(name.filter(wellFormed), fc.string({ unit: 'binary', maxLength: 8 }).filter(wellFormed), { maxKeys: 3 });

function bytesOf(t: SafetensorsTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function expectSame(a: SafetensorsFile, b: SafetensorsFile): void {
  expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
  for (const [k, t] of a.tensors) {
    const u = b.tensors.get(k)!;
    expect([u.dtype, u.shape]).toEqual([t.dtype, t.shape]);
    expect(bytesOf(u)).toEqual(bytesOf(t));
  }
  expect(b.metadata).toEqual(a.metadata);
}

/** Decodes; a success must re-encode to an equivalent file, a failure must be an INVALID_SAFETENSORS LmoError. */
function decodesOrRefuses(bytes: Uint8Array): 'read' | 'refused' {
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (!(e instanceof LmoError) || e.code !== 'INVALID_SAFETENSORS' || e.message.includes('\n')) throw e;
    return 'refused';
  }
  // What was read is what the header says, by JSON.parse (faithful here: the reader refuses duplicate keys),
  // and the tensors' bytes are the data buffer, each byte once.
  const n = headerSize(bytes);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  expect(names.sort()).toEqual([...file.tensors.keys()].sort());
  let total = 0;
  for (const k of names) {
    const { dtype, shape, data_offsets: [begin, end] } = header[k]!;
    const t = file.tensors.get(k)!;
    expect([t.dtype, t.shape]).toEqual([dtype, shape]);
    expect(bytesOf(t)).toEqual(bytes.subarray(8 + n + begin, 8 + n + end));
    total += end - begin;
  }
  expect(8 + n + total).toBe(bytes.length);
  expect(file.metadata).toEqual(header.__metadata__ ?? {});
  const again = encodeSafetensors(file.tensors, file.metadata);
  expectSame(file, decodeSafetensors(again));
  return 'read';
}

function headerSize(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

describe('safetensors round trips (fast-check)', () => {
  it('random tensor sets and metadata come back exactly, aligned and without copies; re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(tensorSet, metadata, (set, meta) => {
        const bytes = encodeSafetensors(new Map(set), meta);
        expect(headerSize(bytes) % 8).toBe(0);
        const file = decodeSafetensors(bytes);
        expectSame({ tensors: new Map(set), metadata: meta }, file);
        for (const t of file.tensors.values()) expect(t.data.buffer).toBe(bytes.buffer);
        expect(encodeSafetensors(file.tensors, file.metadata)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});

describe('safetensors fuzzing: an LmoError or an equivalent re-encoding, never another error (fast-check)', () => {
  const valid = fc.tuple(tensorSet, metadata).map(([set, meta]) => encodeSafetensors(new Map(set), meta));

  it('random byte mutations of valid files: flips, overwrites, truncations, insertions, deletions', () => {
    const mutation = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.nat(), fc.integer({ min: 0, max: 255 })),
      fc.tuple(fc.constant('truncate' as const), fc.nat(), fc.constant(0)),
      fc.tuple(fc.constant('insert' as const), fc.nat(), fc.integer({ min: 0, max: 255 })),
      fc.tuple(fc.constant('delete' as const), fc.nat(), fc.integer({ min: 1, max: 16 })),
    );
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }), (bytes, mutations) => {
        let b = bytes;
        for (const [kind, at, v] of mutations) {
          const i = b.length === 0 ? 0 : at % (b.length + (kind === 'insert' ? 1 : 0));
          if (kind === 'set' && b.length > 0) (b = b.slice())[i] = v;
          else if (kind === 'truncate') b = b.slice(0, i);
          else if (kind === 'insert') b = Uint8Array.from([...b.subarray(0, i), v, ...b.subarray(i)]);
          else if (kind === 'delete') b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + v)]);
        }
        outcomes[decodesOrRefuses(b)]++;
      }),
      { numRuns: 1500 },
    );
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('mutations of the header text, its size field kept consistent', () => {
    const pieces = ['{', '}', '[', ']', '"', ',', ':', ' ', '\n', '0', '1', '8', '-', '.', 'e', '\\', '\\u', 'F32', 'U8', 'dtype', 'shape', 'data_offsets', '__metadata__', 'null', 'true', '9007199254740993', '\u00e9'];
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...pieces));
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(valid, fc.array(edit, { minLength: 1, maxLength: 3 }), (bytes, edits) => {
        const n = headerSize(bytes);
        let header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
        for (const [at, removed, inserted] of edits) {
          const i = at % (header.length + 1);
          header = header.slice(0, i) + inserted + header.slice(i + removed);
        }
        const h = new TextEncoder().encode(header);
        const out = new Uint8Array(8 + h.length + bytes.length - 8 - n);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        out.set(bytes.subarray(8 + n), 8 + h.length);
        outcomes[decodesOrRefuses(out)]++;
      }),
      { numRuns: 1500 },
    );
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('random headers built from plausible and implausible parts, with random data lengths', () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    const int = fc.oneof(fc.nat({ max: 64 }), fc.integer({ min: -3, max: 3 }), fc.constant(2 ** 53), fc.double());
    const field = fc.oneof(
      fc.tuple(fc.constant('dtype'), fc.oneof(fc.constantFrom(...DTYPES, 'F4', 'f32', ''), json)),
      fc.tuple(fc.constant('shape'), fc.oneof(fc.array(int, { maxLength: 3 }), json)),
      fc.tuple(fc.constant('data_offsets'), fc.oneof(fc.array(int, { minLength: 2, maxLength: 2 }), fc.array(int, { maxLength: 3 }), json)),
      fc.tuple(fc.string({ maxLength: 4 }), json),
    );
    const entryText = fc.array(field, { maxLength: 4 }).map((fs) => `{${fs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
    const member = fc.oneof(
      fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.oneof({ arbitrary: entryText, weight: 4 }, json.map((v) => JSON.stringify(v)))),
      fc.tuple(fc.constant('__metadata__'), fc.oneof(json, fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), json))).map((v) => JSON.stringify(v))),
    );
    fc.assert(
      fc.property(fc.array(member, { maxLength: 4 }), fc.nat({ max: 64 }), fc.nat({ max: 7 }), (members, dataLength, pad) => {
        const header = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}${' '.repeat(pad)}`;
        const h = new TextEncoder().encode(header);
        const out = new Uint8Array(8 + h.length + dataLength);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        decodesOrRefuses(out);
      }),
      { numRuns: 1500 },
    );
  });

  it('random layouts: valid entries whose offsets are nudged off the tiling, data lengths off the end', () => {
    const nudge = (max: number) => fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, fc.integer({ min: -max, max }));
    const item = fc.tuple(fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }), nudge(8));
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), nudge(4), (items, tail) => {
        let at = 0;
        const members = items.map(([dtype, shape, shift], i) => {
          const begin = Math.max(0, at + shift);
          at = begin + shape.reduce((a, d) => a * d, 1) * ARRAYS[dtype].BYTES_PER_ELEMENT;
          return `"t${i}":{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${at}]}`;
        });
        const h = new TextEncoder().encode(`{${members.join(',')}}`);
        const out = new Uint8Array(8 + h.length + Math.max(0, at + tail)).map((_, i) => i);
        new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
        out.set(h, 8);
        outcomes[decodesOrRefuses(out)]++;
      }),
      { numRuns: 1500 },
    );
    expect(outcomes.read).toBeGreaterThan(100);
    expect(outcomes.refused).toBeGreaterThan(100);
  });

  it('random bytes, raw or behind a plausible header size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, sized) => {
        if (sized && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes[8] === undefined ? 0 : bytes[8] % (bytes.length - 7)), true);
        decodesOrRefuses(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('the writer, given anything, returns bytes that decode or throws an LmoError', () => {
    const junkTensor = fc.record({
      dtype: fc.oneof(fc.constantFrom(...DTYPES), fc.anything()),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }), fc.anything()),
      data: fc.oneof(fc.constantFrom(...DTYPES).chain((d) => fc.nat({ max: 9 }).map((n) => new ARRAYS[d](n))), fc.anything()),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 3 }), fc.oneof(junkTensor, fc.anything()), { maxKeys: 3 }), fc.anything(), (tensors, meta) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeSafetensors(tensors as Record<string, SafetensorsTensor>, meta as Record<string, string>);
        } catch (e) {
          if (e instanceof LmoError && e.code === 'INVALID_SAFETENSORS') return;
          throw e;
        }
        decodeSafetensors(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
