// What is known of every value of a graph before training: its element type, its static shape,
// and — for values that do not depend on the data or on trainable initializers (frozen
// initializers, Constants, shapes, and what is computed from them) — its contents.
// Shapes and types of computed values come from one run of the model on zero-filled inputs
// (onnxruntime's own shape inference, whatever ops the graph uses), the "probe", which outputs the
// static values and, of every other value, only its shape and one element. The probe does not
// load the trainable initializers' values: each is made by a ConstantOfShape of zeros just before
// its first use (their values set no computed value's type or shape, and no static value depends on
// them), so that probing a model costs its activations, not its weights.
// Internal.

import type * as ort from 'onnxruntime-common';
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/schema.js';
import { ElemType, encodeModelProto } from '../onnx/schema.js';
import { ELEM_TYPES, constantTensor, elementCount, numericValues, typeName } from '../onnx/tensor-data.js';
import { nodeProto, tensorAttr } from './attributes.js';
import { afterDefinition, beforeFirstUse } from './half.js';
import { numericValuesOfConstant } from './constants.js';
import { trainingError } from './errors.js';
import type { Graph, GraphNode } from './graph.js';

/** A tensor's static description. */
export interface ValueInfo {
  readonly dtype: number;
  readonly shape: readonly number[];
}

/** Types, shapes and static contents of a graph's values. */
export class ValueFacts {
  readonly #info = new Map<string, ValueInfo>();
  readonly #contents = new Map<string, () => number[]>();
  readonly #cache = new Map<string, number[]>();

  set(name: string, info: ValueInfo, contents?: () => number[]): void {
    this.#info.set(name, info);
    if (contents !== undefined) this.#contents.set(name, contents);
  }

  has(name: string): boolean {
    return this.#info.has(name);
  }

  info(name: string): ValueInfo {
    const info = this.#info.get(name);
    if (info === undefined) throw new Error(`no shape known for value "${name}"`);
    return info;
  }

  /** The contents of a static value, or `undefined` when it depends on data or trainable weights. */
  constant(name: string): number[] | undefined {
    let values = this.#cache.get(name);
    if (values === undefined) {
      const read = this.#contents.get(name);
      if (read === undefined) return undefined;
      values = read();
      this.#cache.set(name, values);
    }
    return values;
  }
}

/** Ops whose outputs differ between runs on the same inputs: never static. */
const RANDOM = new Set(['RandomNormal', 'RandomNormalLike', 'RandomUniform', 'RandomUniformLike', 'Multinomial', 'Bernoulli', 'Dropout']);
/** Ops whose outputs depend on their input's shape only. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

/** The static shape of a graph input: every dimension a number, or an error naming the input. */
export function staticShape(input: ValueInfoProto): ValueInfo {
  const name = input.name ?? '';
  const tensor = input.type?.tensorType;
  if (tensor === undefined) throw trainingError('UNSUPPORTED_SHAPE', `input "${name}" is not a tensor`);
  const dtype = tensor.elemType ?? 0;
  const dims = tensor.shape?.dim;
  if (dims === undefined) throw trainingError('UNSUPPORTED_SHAPE', `input "${name}" has no shape: export the model with static shapes`);
  const shape = dims.map((d, i) => {
    if (d.dimValue === undefined || d.dimValue <= 0) {
      const what = d.dimParam !== undefined && d.dimParam !== '' ? `the dynamic dimension "${d.dimParam}"` : 'an unknown dimension';
      throw trainingError('UNSUPPORTED_SHAPE', `input "${name}" has ${what} at axis ${i}; training needs static shapes (export without dynamic_axes, or fix the dimension)`);
    }
    return d.dimValue;
  });
  return { dtype, shape };
}

/** Runs a model on feeds and returns every output (the caller creates and releases the session). */
export type ProbeRun = (model: Uint8Array, feeds: Record<string, ort.Tensor>, makeTensor: typeof ort.Tensor) => Promise<Record<string, ort.Tensor>>;

function zeros(type: string, n: number): ort.Tensor['data'] {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
    case 'uint8':
      return new Uint8Array(n);
    case 'int8':
      return new Int8Array(n);
    default:
      throw trainingError('BACKEND', `inputs of type ${type} are not supported`);
  }
}

/**
 * The facts of every value of `graph`: initializers and inputs from the file, computed values from a
 * probe run. `frozen(name)` says which initializers keep their values (the others train).
 */
export async function probeFacts(model: ModelProto, graph: Graph, frozen: (name: string) => boolean, run: ProbeRun, Tensor: typeof ort.Tensor): Promise<ValueFacts> {
  const facts = new ValueFacts();
  const isStatic = new Set<string>();
  for (const [name, t] of graph.initializers) {
    const info = { dtype: t.dataType ?? 0, shape: [...t.dims] };
    if (frozen(name)) {
      isStatic.add(name);
      facts.set(name, info, () => numericValues(t));
    } else {
      facts.set(name, info);
    }
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, input] of graph.inputs) {
    const info = staticShape(input);
    facts.set(name, info);
    feeds[name] = new Tensor(typeName(info.dtype) as 'float32', zeros(typeName(info.dtype), elementCount(info.shape)) as Float32Array, [...info.shape]);
  }
  // Which values are static follows from the graph: what constants, shapes and static values compute.
  const fixed = new Set<GraphNode>();
  for (const node of graph.nodes) {
    const constant = node.opType === 'Constant' && node.domain === '';
    if (constant || (SHAPE_ONLY.has(node.opType) && node.domain === '') || (!RANDOM.has(node.opType) && node.inputs.length > 0 && node.inputs.every((i) => i === '' || isStatic.has(i)))) {
      fixed.add(node);
      for (const o of node.outputs) if (o !== '') isStatic.add(o);
    }
  }
  // The probe outputs each static value, and of every other value its shape and one element (its
  // type), each summary just after the value is computed. The value's readers read it through a
  // Reshape to its own shape that also takes the summary (an alias of the value, no copy), so that
  // onnxruntime computes the summary before them rather than at the end of the run, and frees the
  // value after its last use: the probe holds the activations of one forward pass, not all of them.
  const light = withStandIns(model, graph, (name) => !isStatic.has(name));
  const fresh = freshNames(light);
  const flat = fresh('probe/flat');
  const [zero, one] = [fresh('probe/zero'), fresh('probe/one')];
  const summaries = new Map<string, NodeProto[]>();
  const summary = new Map<string, { readonly shape: string; readonly head: string }>();
  const through = new Map<string, string>();
  const outputs: string[] = [];
  for (const node of graph.nodes) {
    for (const o of node.outputs) {
      if (o === '') continue;
      if (fixed.has(node)) {
        outputs.push(o);
        continue;
      }
      const [shape, flattened, head] = [fresh(`${o}/probe_shape`), fresh(`${o}/probe_flat`), fresh(`${o}/probe_head`)];
      const k = summaries.size;
      const [headShape, gate, passed] = [fresh(`probe/hs${k}`), fresh(`probe/g${k}`), fresh(`probe/t${k}`)];
      summaries.set(o, [
        nodeProto('Shape', [o], [shape], fresh(`${o}/probe_shape_of`)),
        nodeProto('Reshape', [o, flat], [flattened], fresh(`${o}/probe_flatten`)),
        nodeProto('Slice', [flattened, zero, one], [head], fresh(`${o}/probe_head_of`)),
        // [1], or [0] for an empty value, whose gate is then zeros: Reshape keeps each dimension (short
        // names, nameless nodes: the probe of a model of many small values stays small)
        nodeProto('Shape', [head], [headShape], ''),
        nodeProto('Mul', [shape, headShape], [gate], ''),
        nodeProto('Reshape', [o, gate], [passed], ''),
      ]);
      summary.set(o, { shape, head });
      through.set(o, passed);
      outputs.push(shape, head);
    }
  }
  const g = light.graph!;
  const index = (name: string, values: number[]): TensorProto => constantTensor(name, ElemType.INT64, [values.length], values);
  const added = new Set([...summaries.values()].flat());
  const nodes = afterDefinition(g.node, summaries).map((n) => (added.has(n) || !n.input.some((i) => through.has(i)) ? n : { ...n, input: n.input.map((i) => through.get(i) ?? i) }));
  const probe: ModelProto = {
    ...light,
    graph: { ...g, node: nodes, initializer: [...g.initializer, index(flat, [-1]), index(zero, [0]), index(one, [1])], output: outputs.map((name) => ({ name })) },
  };
  const results = await run(encodeModelProto(probe), feeds, Tensor);
  const result = (o: string, node: GraphNode): ort.Tensor => {
    const tensor = results[o];
    if (tensor === undefined) throw trainingError('BACKEND', `onnxruntime computed no value for "${o}" (node "${node.name}", ${node.opType})`);
    return tensor;
  };
  for (const node of graph.nodes) {
    const constant = node.opType === 'Constant' && node.domain === '';
    node.outputs.forEach((o, k) => {
      if (o === '') return;
      const s = summary.get(o);
      if (s !== undefined) {
        const shape = Array.from(result(s.shape, node).data as BigInt64Array, Number);
        return facts.set(o, { dtype: ELEM_TYPES[result(s.head, node).type] ?? 0, shape });
      }
      const tensor = result(o, node);
      const info = { dtype: ELEM_TYPES[tensor.type] ?? 0, shape: tensor.dims.map(Number) };
      const fromAttribute = constant && k === 0 ? numericValuesOfConstant(node) : undefined;
      const data = tensor.data;
      facts.set(o, info, () => fromAttribute ?? Array.from(data as ArrayLike<number | bigint>, Number));
    });
  }
  return facts;
}

/** Element types a stand-in can make (those of trainable initializers). */
const STAND_IN_TYPES: ReadonlySet<number> = new Set([ElemType.FLOAT, ElemType.DOUBLE]);

/**
 * `model` with each initializer that `replace` names (of a floating-point type) made instead by a
 * node `ConstantOfShape(dims)` of zeros, placed just before the first node that reads it: the model
 * computes the same types and shapes without holding those initializers' values (each stand-in's
 * zeros live from its first reader to its last).
 */
export function withStandIns(model: ModelProto, graph: Graph, replace: (name: string) => boolean): ModelProto {
  const g = model.graph!;
  // a subgraph (If, Loop, Scan) may read an initializer where no stand-in could be placed before it
  if (g.node.some((n) => n.attribute.some((a) => a.g != null || a.graphs.length > 0))) return model;
  const fresh = freshNames(model);
  const replaced = new Set<string>();
  const kept: TensorProto[] = [];
  const shapes: TensorProto[] = [];
  const standIns = new Map<string, NodeProto[]>();
  for (const t of g.initializer) {
    const name = t.name ?? '';
    if (!replace(name) || !STAND_IN_TYPES.has(t.dataType ?? 0)) {
      kept.push(t);
      continue;
    }
    replaced.add(name);
    const shape = fresh(`${name}/probe_shape`);
    shapes.push(constantTensor(shape, ElemType.INT64, [t.dims.length], t.dims.map(Number)));
    standIns.set(name, [nodeProto('ConstantOfShape', [shape], [name], fresh(`${name}/probe_zeros`), [tensorAttr('value', constantTensor('', t.dataType!, [1], [0]))])]);
  }
  if (replaced.size === 0) return model;
  return { ...model, graph: { ...g, initializer: [...kept, ...shapes], input: g.input.filter((i) => !replaced.has(i.name ?? '')), node: beforeFirstUse(graph.nodes.map((n) => n.proto), standIns) } };
}

/** A maker of names that no value, node or initializer of `model` has, nor any name it made before. */
function freshNames(model: ModelProto): (hint: string) => string {
  const g = model.graph!;
  const taken = new Set<string>([...g.initializer.map((t) => t.name ?? ''), ...g.input.map((i) => i.name ?? ''), ...g.node.flatMap((n) => [...n.input, ...n.output, n.name ?? ''])]);
  return (hint) => {
    let name = hint;
    for (let k = 1; taken.has(name); k++) name = `${hint}_${k}`;
    taken.add(name);
    return name;
  };
}
