// Emits the nodes of a gradient graph: fresh value names, shared constants, and a few algebraic
// simplifications at emission (a transpose of a transpose, of a 2-D Gemm's output; a reshape of a
// reshape; identity reshapes and transposes), so that rules can be written plainly and still
// produce no needless Transposes or Reshapes. Shapes are passed in by the rules, who know them.
// Internal.

import { ElemType, type AttributeProto, type NodeProto, type TensorProto } from '../onnx/schema.js';
import { constantTensor } from '../onnx/tensor-data.js';
import { Attributes, floatAttr, intAttr, intsAttr, nodeProto } from './attributes.js';

/** What the emitter knows of a value's producer (a forward node or an emitted one). */
export interface Producer {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly attrs: Attributes;
  /** Emitted by the gradient builder (so its output is used by nothing else yet). */
  readonly emitted: boolean;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly #taken: Set<string>;
  readonly #producers: Map<string, Producer>;
  readonly #constants = new Map<string, string>();
  #counter = 0;

  /**
   * @param taken every name the forward graph uses (values, initializers, inputs)
   * @param producers the forward graph's producers, for simplifications across the boundary
   * @param opset the training graph's default opset (forms of ops that changed across versions)
   */
  constructor(
    taken: Iterable<string>,
    producers: ReadonlyMap<string, Producer>,
    readonly opset: number,
  ) {
    this.#taken = new Set(taken);
    this.#producers = new Map(producers);
  }

  /** A value name not used yet, `<hint>` or `<hint>_<n>`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.#taken.has(name)) name = `${hint}_${this.#counter++}`;
    this.#taken.add(name);
    return name;
  }

  /** The producer of a value (forward or emitted), if known. */
  producer(value: string): Producer | undefined {
    return this.#producers.get(value);
  }

  /** Emits `opType` with `outputs` outputs (names from `hint`) and returns their names. */
  opN(opType: string, inputs: readonly string[], outputs: number, attrs: readonly AttributeProto[] = [], hint = `grad/${opType}`): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(hint));
    this.nodes.push(nodeProto(opType, inputs, outs, this.fresh(`${hint}/node`), attrs));
    const producer: Producer = { opType, inputs, attrs: new Attributes(attrs), emitted: true };
    for (const o of outs) this.#producers.set(o, producer);
    return outs;
  }

  /** Emits a one-output `opType` and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: readonly AttributeProto[] = [], hint?: string): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0]!;
  }

  /** A constant tensor (an initializer), shared by every use of the same values. */
  constant(dataType: number, dims: readonly number[], values: readonly number[]): string {
    const key = `${dataType}:${dims.join('x')}:${values.join(',')}`;
    let name = this.#constants.get(key);
    if (name === undefined) {
      name = this.fresh('grad/const');
      this.initializers.push(constantTensor(name, dataType, dims, values));
      this.#constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, pads, split sizes). */
  ints(values: readonly number[]): string {
    return this.constant(ElemType.INT64, [values.length], values);
  }

  /** A rank-0 constant of element type `dataType`. */
  scalar(value: number, dataType: number): string {
    return this.constant(dataType, [], [value]);
  }

  // ---- ops with simplifications ------------------------------------------------------------------

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }

  neg(a: string): string {
    return this.op('Neg', [a]);
  }

  /** `Σ xs` (one value as is; `Sum` of several). */
  sum(xs: readonly string[]): string {
    if (xs.length === 1) return xs[0]!;
    return this.op('Sum', xs);
  }

  /**
   * `Transpose(x, perm)`, or nothing for the identity; a transpose of a transpose composes; the
   * transpose of a 2-D `Gemm` (without C) is the `Gemm` of the swapped operands, `(AB)ᵀ = BᵀAᵀ`.
   */
  transpose(x: string, perm: readonly number[]): string {
    if (isIdentity(perm)) return x;
    const p = this.producer(x);
    if (p?.opType === 'Transpose') {
      const inner = p.attrs.ints('perm');
      if (inner !== undefined && inner.length === perm.length) return this.transpose(p.inputs[0]!, perm.map((i) => inner[i]!));
    }
    if (p?.opType === 'Gemm' && p.emitted && p.inputs.length === 2 && perm.length === 2) {
      const transA = p.attrs.int('transA', 0) === 1;
      const transB = p.attrs.int('transB', 0) === 1;
      return this.gemm(p.inputs[1]!, p.inputs[0]!, { transA: !transB, transB: !transA, alpha: p.attrs.float('alpha', 1) });
    }
    return this.op('Transpose', [x], [intsAttr('perm', perm)]);
  }

  /** `Reshape(x, to)` from shape `from`: nothing when the shapes agree; a reshape of a reshape reads its source. */
  reshape(x: string, from: readonly number[], to: readonly number[]): string {
    if (sameShape(from, to)) return x;
    const p = this.producer(x);
    const source = p?.opType === 'Reshape' ? p.inputs[0]! : x;
    return this.op('Reshape', [source, this.ints(to)]);
  }

  /**
   * `α·op(A)·op(B)` on 2-D operands; an operand that is a transpose is read untransposed with its
   * flag flipped.
   */
  gemm(a: string, b: string, options: { transA?: boolean; transB?: boolean; alpha?: number } = {}): string {
    let [x, y, transA, transB] = [a, b, options.transA === true, options.transB === true];
    const folded = (v: string): string | undefined => {
      const p = this.producer(v);
      const perm = p?.opType === 'Transpose' ? p.attrs.ints('perm') : undefined;
      return perm !== undefined && perm.length === 2 && perm[0] === 1 && perm[1] === 0 ? p!.inputs[0] : undefined;
    };
    const fa = folded(x);
    if (fa !== undefined) [x, transA] = [fa, !transA];
    const fb = folded(y);
    if (fb !== undefined) [y, transB] = [fb, !transB];
    const attrs: AttributeProto[] = [];
    if (transA) attrs.push(intAttr('transA', 1));
    if (transB) attrs.push(intAttr('transB', 1));
    if (options.alpha !== undefined && options.alpha !== 1) attrs.push(floatAttr('alpha', options.alpha));
    return this.op('Gemm', [x, y], attrs);
  }

  /** `ReduceSum(x, axes)` (axes as an input: opset 13 on); nothing for no axes. */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.ints(axes)], [intAttr('keepdims', keepdims ? 1 : 0)]);
  }

  /** `ReduceMean(x, axes)`: axes an attribute through opset 17, an input from 18. */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    const keep = intAttr('keepdims', keepdims ? 1 : 0);
    if (this.opset >= 18) return this.op('ReduceMean', [x, this.ints(axes)], [keep]);
    return this.op('ReduceMean', [x], [intsAttr('axes', axes), keep]);
  }

  /** `Expand(x, to)`: nothing when `x` already has shape `to`. */
  expand(x: string, from: readonly number[], to: readonly number[]): string {
    if (sameShape(from, to)) return x;
    return this.op('Expand', [x, this.ints(to)]);
  }

  /**
   * The gradient of a broadcast input: `g` (shaped `from`, the broadcast result) summed over the
   * axes that broadcasting added or stretched, shaped `to` (numpy/ONNX multidirectional rules).
   */
  unbroadcast(g: string, from: readonly number[], to: readonly number[]): string {
    if (sameShape(from, to)) return g;
    const lead = from.length - to.length;
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) {
      if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
    }
    // Without the reduced axes the shape may already be `to` (a bias or gain summed over the batch).
    const dropped = from.filter((_, i) => !axes.includes(i));
    if (sameShape(dropped, to)) return this.reduceSum(g, axes, false);
    const kept = from.map((d, i) => (axes.includes(i) ? 1 : d));
    return this.reshape(this.reduceSum(g, axes, true), kept, to);
  }
}
