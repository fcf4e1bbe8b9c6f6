// Replaces initializers in a serialized ONNX model and copies every other byte as it is: the
// model's fields, the graph's nodes, other initializers, metadata, fields newer than the schema
// this package knows. protobufjs's reader walks the wire format; protobufjs encodes the new tensors.
// Internal.

import protobuf from 'protobufjs/light.js';
import { decodeTensorProto, encodeTensorProto, type TensorProto } from './schema.js';

const MODEL_GRAPH = 7; // ModelProto.graph
const GRAPH_INITIALIZER = 5; // GraphProto.initializer
const WIRE_LENGTH_DELIMITED = 2;

interface Field {
  readonly field: number;
  /** The whole field: tag, length and payload. */
  readonly start: number;
  readonly end: number;
  /** The payload of a length-delimited field. */
  readonly payloadStart: number;
}

/** The top-level fields of a message, in order. */
function fields(bytes: Uint8Array): Field[] {
  const reader = protobuf.Reader.create(bytes);
  const out: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wireType = tag & 7;
    let payloadStart = reader.pos;
    if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = reader.uint32();
      payloadStart = reader.pos;
      reader.skip(length);
    } else {
      reader.skipType(wireType);
    }
    out.push({ field: tag >>> 3, start, end: reader.pos, payloadStart });
  }
  return out;
}

/** Field `field` (length-delimited) holding `payload`. */
function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((field << 3) | WIRE_LENGTH_DELIMITED).bytes(payload);
  return w.finish();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * `model` with the initializers named in `replace` swapped for `replace(old)` (which gets the
 * decoded old tensor), everything else byte for byte. Throws when a name is not an initializer.
 */
export function replaceInitializers(model: Uint8Array, names: ReadonlySet<string>, replace: (old: TensorProto) => TensorProto): Uint8Array {
  const found = new Set<string>();
  const parts: Uint8Array[] = [];
  for (const f of fields(model)) {
    if (f.field !== MODEL_GRAPH) {
      parts.push(model.subarray(f.start, f.end));
      continue;
    }
    const graph = model.subarray(f.payloadStart, f.end);
    const graphParts: Uint8Array[] = [];
    for (const g of fields(graph)) {
      const whole = graph.subarray(g.start, g.end);
      if (g.field === GRAPH_INITIALIZER) {
        const old = decodeTensorProto(graph.subarray(g.payloadStart, g.end));
        const name = old.name ?? '';
        if (names.has(name)) {
          found.add(name);
          graphParts.push(lengthDelimited(GRAPH_INITIALIZER, encodeTensorProto(replace(old))));
          continue;
        }
      }
      graphParts.push(whole);
    }
    parts.push(lengthDelimited(MODEL_GRAPH, concat(graphParts)));
  }
  const missing = [...names].filter((n) => !found.has(n));
  if (missing.length > 0) throw new RangeError(`no initializer named ${missing.map((n) => `"${n}"`).join(', ')}`);
  return concat(parts);
}
