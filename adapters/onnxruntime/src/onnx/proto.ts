// A minimal protocol-buffers writer: just the wire encoding the ONNX messages in `./model.ts` need
// (varints, 32-bit floats, length-delimited bytes, strings and nested messages).
//
// Encoding rules (https://protobuf.dev/programming-guides/encoding/): every field is a key
// `(fieldNumber << 3) | wireType` written as a varint, followed by its payload. Wire types used
// here: 0 = varint (int32/int64/enum/bool), 2 = length-delimited (string, bytes, message, packed),
// 5 = fixed 32-bit (float).
// Exported as `@lmo/onnxruntime/onnx` (see ./index.ts).


const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

/** Appends protobuf-encoded fields to a growable byte buffer. */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Field `field` as a varint (int32, int64, enum, bool). Negative values use 10-byte two's complement. */
  int(field: number, value: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** Field `field` as a 32-bit IEEE float. */
  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** Field `field` as UTF-8 text. */
  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** Field `field` as raw bytes (also used for an already-encoded nested message). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** Field `field` as a nested message, written by `write` into a fresh writer. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  private key(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not a safe integer`);
    this.reserve(10);
    if (value < 0) {
      // int64 two's complement: always 10 bytes.
      let v = BigInt.asUintN(64, BigInt(value));
      for (let i = 0; i < 9; i++) {
        this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buffer[this.length++] = Number(v);
      return;
    }
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}
