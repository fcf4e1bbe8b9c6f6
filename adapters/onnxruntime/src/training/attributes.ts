// Reading and writing node attributes (AttributeProto) by name, with the defaults of the op's schema.
// Internal.

import { AttrType, type AttributeProto, type NodeProto, type TensorProto } from '../onnx/schema.js';

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** The attributes of one node. */
export class Attributes {
  readonly #byName: ReadonlyMap<string, AttributeProto>;

  constructor(attributes: readonly AttributeProto[]) {
    this.#byName = new Map(attributes.map((a) => [a.name ?? '', a]));
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : (a.i ?? 0);
  }

  float(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : (a.f ?? 0);
  }

  ints(name: string): number[] | undefined {
    return this.#byName.get(name)?.ints;
  }

  string(name: string, fallback: string): string {
    const s = this.#byName.get(name)?.s;
    return s === undefined ? fallback : textDecoder.decode(s);
  }

  tensor(name: string): TensorProto | undefined {
    return this.#byName.get(name)?.t;
  }

  /** The attribute's type, when present. */
  type(name: string): number | undefined {
    return this.#byName.get(name)?.type;
  }
}

/** An INT attribute. */
export function intAttr(name: string, i: number): AttributeProto {
  return attr({ name, type: AttrType.INT, i });
}

/** An INTS attribute. */
export function intsAttr(name: string, ints: readonly number[]): AttributeProto {
  return attr({ name, type: AttrType.INTS, ints: [...ints] });
}

/** A FLOAT attribute. */
export function floatAttr(name: string, f: number): AttributeProto {
  return attr({ name, type: AttrType.FLOAT, f });
}

/** A STRING attribute. */
export function stringAttr(name: string, s: string): AttributeProto {
  return attr({ name, type: AttrType.STRING, s: textEncoder.encode(s) });
}

/** A TENSOR attribute. */
export function tensorAttr(name: string, t: TensorProto): AttributeProto {
  return attr({ name, type: AttrType.TENSOR, t });
}

function attr(fields: Partial<AttributeProto> & { name: string; type: number }): AttributeProto {
  return { floats: [], ints: [], strings: [], tensors: [], graphs: [], ...fields };
}

/** A NodeProto. */
export function nodeProto(opType: string, input: readonly string[], output: readonly string[], name: string, attribute: readonly AttributeProto[] = []): NodeProto {
  return { opType, input: [...input], output: [...output], name, attribute: [...attribute] };
}
