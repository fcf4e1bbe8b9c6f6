// Writing a model's graph in TypeScript, for `createOnnxTrainer` or a session of your own: nodes
// with fresh value names, constants shared by every use, weights as initializers, and the whole
// graph encoded by ./model.ts. Exported as `@lmo/onnxruntime/onnx`.

import { DataType, encodeModel, type AttributeValue, type InitializerDef, type NodeDef, type ValueInfoDef } from './model.js';

/** A value in the graph being built: its ONNX name. */
export type Value = string;

/**
 * Builds one ONNX graph (default domain, opset 17): float32 activations, int64 shape and axis
 * constants, float32 weights. Every `op` returns the name of its output, so a forward pass reads
 * like the math; {@link GraphBuilder.encode} gives the model's bytes.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder('linear');
 * const x = g.input('x', [4, 3]);
 * const w = g.initializer('fc.weight', [2, 3], Float32Array.from({ length: 6 }, (_, i) => i / 6));
 * g.output(g.gemm(x, w, false, true), 'y', [4, 2]); // y = x·wᵀ
 * const trainer = await createOnnxTrainer(g.encode(), { trainable: 'fc.weight', loss: { meanSquaredError: 'y' }, optimizer });
 * ```
 */
export class GraphBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly inputs: ValueInfoDef[] = [];
  private readonly outputs: ValueInfoDef[] = [];
  private readonly initializers: InitializerDef[] = [];
  private readonly constants = new Map<string, Value>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** Declares a float32 graph input of `shape`. */
  input(name: string, shape: readonly number[]): Value {
    this.inputs.push({ name, elemType: DataType.FLOAT, shape });
    return name;
  }

  /** Declares a float32 weight (an initializer: `createOnnxTrainer` can train it) of `shape` holding `values`. */
  initializer(name: string, shape: readonly number[], values: Float32Array): Value {
    const size = shape.reduce((a, d) => a * d, 1);
    if (values.length !== size) throw new RangeError(`initializer ${name}: ${values.length} values for shape [${shape.join(', ')}]`);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims: shape, values });
    return name;
  }

  /** Declares `value` as a float32 graph output named `name` (an Identity when the names differ). */
  output(value: Value, name: string, shape: readonly number[]): void {
    const out = value === name ? value : this.op1('Identity', [value], {}, name);
    this.outputs.push({ name: out, elemType: DataType.FLOAT, shape });
  }

  /** Emits `opType` with one output and returns it (named `name`, or a fresh name). */
  op1(opType: string, inputs: readonly Value[], attributes: Readonly<Record<string, AttributeValue>> = {}, name?: string): Value {
    const out = name ?? this.fresh(opType);
    this.nodes.push({ opType, inputs, outputs: [out], attributes });
    return out;
  }

  /** Emits `opType` with `n` outputs. */
  opN(opType: string, inputs: readonly Value[], n: number, attributes: Readonly<Record<string, AttributeValue>> = {}): Value[] {
    const outs = Array.from({ length: n }, () => this.fresh(opType));
    this.nodes.push({ opType, inputs, outputs: outs, attributes });
    return outs;
  }

  /** A float32 scalar constant (shared by every use). */
  scalar(v: number): Value {
    return this.constant(`f:${v}`, DataType.FLOAT, [], [v]);
  }

  /** A float32 constant tensor. */
  floats(key: string, dims: readonly number[], values: readonly number[]): Value {
    return this.constant(`F:${key}`, DataType.FLOAT, dims, values);
  }

  /** A 1-D int64 constant (a Reshape target or a list of axes). */
  ints(values: readonly number[]): Value {
    return this.constant(`i:${values.join(',')}`, DataType.INT64, [values.length], values);
  }

  // ---- a few ops with their usual attributes ------------------------------------------------------

  add(a: Value, b: Value): Value {
    return this.op1('Add', [a, b]);
  }
  sub(a: Value, b: Value): Value {
    return this.op1('Sub', [a, b]);
  }
  mul(a: Value, b: Value): Value {
    return this.op1('Mul', [a, b]);
  }
  /** `α · a · bᵀ` etc. on 2-D tensors (onnxruntime's Gemm handles the transposes and α in the kernel). */
  gemm(a: Value, b: Value, transA = false, transB = false, alpha = 1): Value {
    return this.op1('Gemm', [a, b], {
      ...(transA ? { transA: { int: 1 } } : {}),
      ...(transB ? { transB: { int: 1 } } : {}),
      ...(alpha !== 1 ? { alpha: { float: alpha } } : {}),
    });
  }
  matmul(a: Value, b: Value): Value {
    return this.op1('MatMul', [a, b]);
  }
  reshape(x: Value, shape: readonly number[]): Value {
    return this.op1('Reshape', [x, this.ints(shape)]);
  }
  transpose(x: Value, perm: readonly number[]): Value {
    return this.op1('Transpose', [x], { perm: { ints: perm } });
  }
  /** Sum over `axes` (opset 13+: axes are an input). */
  reduceSum(x: Value, axes: readonly number[], keepdims: boolean): Value {
    return this.op1('ReduceSum', [x, this.ints(axes)], { keepdims: { int: keepdims ? 1 : 0 } });
  }
  /** Mean over `axes` (opset 17: axes are an attribute). */
  reduceMean(x: Value, axes: readonly number[], keepdims: boolean): Value {
    return this.op1('ReduceMean', [x], { axes: { ints: axes }, keepdims: { int: keepdims ? 1 : 0 } });
  }

  /** The serialized model (`producerVersion` goes into its `producer_version`). */
  encode(producerVersion = ''): Uint8Array {
    return encodeModel({ name: this.name, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, initializers: this.initializers }, producerVersion);
  }

  /** Number of nodes emitted so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  private constant(key: string, dataType: DataType, dims: readonly number[], values: readonly number[]): Value {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = `const_${this.constants.size}`;
      this.constants.set(key, name);
      this.initializers.push({ name, dataType, dims, values });
    }
    return name;
  }

  private fresh(prefix: string): Value {
    return `${prefix.toLowerCase()}_${this.counter++}`;
  }
}
