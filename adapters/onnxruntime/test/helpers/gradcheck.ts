// Checks one op's gradient rule: the gradient graph the builder emits for a one-node model, run by
// onnxruntime in float32, against central finite differences of the float64 oracle's forward
// function (test/oracle), at the same (float32) point, for L(x) = Σₖ ⟨seedₖ, yₖ(x)⟩.
import { Random } from '@lmo/core';
import * as ort from 'onnxruntime-node';
import { ElemType, encodeModelProto, type AttributeProto, type ModelProto, type TensorProto, type ValueInfoProto } from '../../src/onnx/schema.js';
import { constantTensor } from '../../src/onnx/tensor-data.js';
import { floatAttr, intAttr, intsAttr, nodeProto, stringAttr } from '../../src/training/attributes.js';
import { differentiate, prune } from '../../src/training/differentiate.js';
import { probeFacts } from '../../src/training/facts.js';
import { Graph } from '../../src/training/graph.js';
import { evaluate, size, tensor, type Attrs, type T64 } from '../oracle/index.js';

/** A float attribute (numbers alone are ints). */
export const f = (value: number): { readonly f: number } => ({ f: value });

export type AttrValue = number | readonly number[] | string | { readonly f: number };

export interface InputSpec {
  readonly shape: readonly number[];
  /** Default `'float'`. */
  readonly type?: 'float' | 'int64' | 'bool';
  /** Values (default: uniform in [−1, 1) for floats). */
  readonly values?: readonly number[];
  /** Differentiate with respect to it (default: every float input that is not `constant`). */
  readonly wrt?: boolean;
  /** Fed at run time rather than an initializer (non-`wrt` inputs are initializers by default). */
  readonly feed?: boolean;
  /** An absent optional input (`''`). */
  readonly absent?: boolean;
}

/** A node of a multi-node case: inputs name the case's inputs (`x0`, `x1`, …) or earlier outputs. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface OpCase {
  /** The op of a one-node case (its inputs are the case's inputs, its outputs `y0`, `y1`, …). */
  readonly op: string;
  /** A graph of several nodes instead (outputs: `graphOutputs`). */
  readonly nodes?: readonly NodeSpec[];
  readonly graphOutputs?: readonly string[];
  readonly inputs: readonly InputSpec[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  /** Number of outputs (default 1). */
  readonly outputs?: number;
  /** Which outputs get a seed (default: all). */
  readonly seeded?: readonly boolean[];
  /** Default 17. */
  readonly opset?: number;
  /** A generator of float values, given a uniform [0, 1) one (default: uniform in [−1, 1)). */
  readonly random?: (uniform: () => number) => number;
  /** Seed of the values and seeds drawn (default 1). */
  readonly seed?: number;
}

export interface GradCheck {
  /** max over inputs of max|g − g_fd| / max|g_fd|. */
  readonly error: number;
  readonly perInput: ReadonlyArray<{ readonly input: number; readonly error: number; readonly scale: number }>;
  /** Op types of the gradient nodes the builder emitted. */
  readonly emitted: readonly string[];
}

function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') return intAttr(name, value);
  if (typeof value === 'string') return stringAttr(name, value);
  if (Array.isArray(value)) return intsAttr(name, value as number[]);
  return floatAttr(name, (value as { f: number }).f);
}

function plain(attrs: Readonly<Record<string, AttrValue>>): Attrs {
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? (v as { f: number }).f : v])) as Attrs;
}

const ELEM = { float: ElemType.FLOAT, int64: ElemType.INT64, bool: ElemType.BOOL } as const;

function valueInfo(name: string, elemType: number, shape: readonly number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function ortTensor(type: 'float' | 'int64' | 'bool', values: readonly number[], shape: readonly number[]): ort.Tensor {
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [...shape]);
  if (type === 'bool') return new ort.Tensor('bool', Uint8Array.from(values), [...shape]);
  return new ort.Tensor('float32', Float32Array.from(values), [...shape]);
}

/** Runs the check; returns the relative errors (the caller asserts). */
export async function gradcheck(c: OpCase): Promise<GradCheck> {
  const random = new Random(c.seed ?? 1);
  const uniform = (): number => random.uniform();
  const rand = c.random === undefined ? () => uniform() * 2 - 1 : () => c.random!(uniform);
  const specs = c.inputs.map((s) => ({ ...s, type: s.type ?? 'float' }));
  const values = specs.map((s) => (s.absent ? [] : Array.from(Float32Array.from(s.values ?? Array.from({ length: size(s.shape) }, rand)))));
  const names = specs.map((s, i) => (s.absent ? '' : `x${i}`));
  const wrt = specs.map((s) => !s.absent && s.type === 'float' && (s.wrt ?? s.values === undefined));
  const nOut = c.graphOutputs?.length ?? c.outputs ?? 1;
  const outputs = c.graphOutputs !== undefined ? [...c.graphOutputs] : Array.from({ length: nOut }, (_, k) => `y${k}`);
  const nodes: NodeSpec[] = c.nodes !== undefined ? [...c.nodes] : [{ op: c.op, inputs: names, outputs, ...(c.attrs ? { attrs: c.attrs } : {}) }];
  const seeded = c.seeded ?? outputs.map(() => true);

  const inputs: ValueInfoProto[] = [];
  const initializers: TensorProto[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((s, i) => {
    if (s.absent) return;
    if (wrt[i] || s.feed) {
      inputs.push(valueInfo(names[i]!, ELEM[s.type], s.shape));
      feeds[names[i]!] = ortTensor(s.type, values[i]!, s.shape);
    } else {
      initializers.push(constantTensor(names[i]!, s.type === 'float' ? ElemType.FLOAT : s.type === 'bool' ? ElemType.BOOL : ElemType.INT64, s.shape, values[i]!));
    }
  });
  const protos = nodes.map((n, i) => nodeProto(n.op, n.inputs, n.outputs, `op${i}`, Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v))));
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: c.opset ?? 17 }],
    metadataProps: [],
    functions: [],
    graph: { name: 'case', node: protos, input: inputs, output: outputs.map((name) => ({ name })), initializer: initializers, sparseInitializer: [], valueInfo: [] },
  };
  const graph = new Graph(model);
  const run = async (bytes: Uint8Array, probeFeeds: Record<string, ort.Tensor>) => {
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      return await s.run(probeFeeds);
    } finally {
      await s.release();
    }
  };
  const facts = await probeFacts(model, graph, (n) => !inputs.some((i) => i.name === n), run as never, ort.Tensor);
  const outShapes = outputs.map((o) => facts.info(o).shape);
  const seeds = outputs.map((o, k) => (seeded[k] ? Array.from(Float32Array.from({ length: size(outShapes[k]!) }, () => uniform() * 2 - 1)) : undefined));
  const wrtNames = names.filter((_, i) => wrt[i]);
  const d = differentiate(graph, facts, wrtNames, () => outputs.flatMap((o, k) => (seeds[k] ? [[o, `seed:${o}`] as [string, string]] : [])));
  const gradOuts = wrtNames.map((w) => `grad:${w}`);
  const tail = wrtNames.map((w) => nodeProto('Identity', [d.grads.get(w)!], [`grad:${w}`], `out:${w}`));
  const seedInputs = outputs.flatMap((o, k) => (seeds[k] ? [valueInfo(`seed:${o}`, ElemType.FLOAT, outShapes[k]!)] : []));
  const gradModel: ModelProto = {
    ...model,
    opsetImport: [{ domain: '', version: d.opset }],
    graph: {
      ...model.graph!,
      node: prune([...d.forward, ...d.emitter.nodes, ...tail], gradOuts),
      input: [...inputs, ...seedInputs],
      output: gradOuts.map((name) => ({ name })),
      initializer: [...initializers, ...d.emitter.initializers],
    },
  };
  outputs.forEach((o, k) => {
    if (seeds[k]) feeds[`seed:${o}`] = new ort.Tensor('float32', Float32Array.from(seeds[k]), [...outShapes[k]!]);
  });
  const session = await ort.InferenceSession.create(encodeModelProto(gradModel), { logSeverityLevel: 3 });
  let result: ort.InferenceSession.ReturnType;
  try {
    result = await session.run(feeds);
  } finally {
    await session.release();
  }

  // The oracle: L(x) = Σₖ ⟨seedₖ, yₖ(x)⟩ in float64, central differences per element.
  const point: Array<T64 | undefined> = specs.map((s, i) => (s.absent ? undefined : tensor(s.shape, values[i]!)));
  const lossAt = (xs: ReadonlyArray<T64 | undefined>): number => {
    const env = new Map<string, T64 | undefined>(names.map((n, i) => [n, xs[i]]));
    for (const n of nodes) evaluate(n.op, n.inputs.map((x) => env.get(x)), plain(n.attrs ?? {}), n.outputs.length).forEach((y, k) => env.set(n.outputs[k]!, y));
    const ys = outputs.map((o) => env.get(o)!);
    let total = 0;
    ys.slice(0, nOut).forEach((y, k) => {
      const s = seeds[k];
      if (s === undefined) return;
      if (y.data.length !== s.length) throw new Error(`oracle output ${k} has ${y.data.length} values, onnxruntime ${s.length}`);
      for (let j = 0; j < s.length; j++) total += s[j]! * y.data[j]!;
    });
    return total;
  };
  const perInput: Array<{ input: number; error: number; scale: number }> = [];
  specs.forEach((_, i) => {
    if (!wrt[i]) return;
    const mine = result[`grad:${names[i]}`]!.data as Float32Array;
    const x = point[i]!;
    const fd = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const h = 1e-6 * Math.max(1, Math.abs(x.data[j]!));
      const plus = x.data.slice();
      const minus = x.data.slice();
      plus[j]! += h;
      minus[j]! -= h;
      const at = (data: Float64Array) => point.map((p, k) => (k === i ? { shape: x.shape, data } : p));
      fd[j] = (lossAt(at(plus)) - lossAt(at(minus))) / (2 * h);
    }
    let num = 0;
    let scale = 0;
    for (let j = 0; j < fd.length; j++) {
      num = Math.max(num, Math.abs(mine[j]! - fd[j]!));
      scale = Math.max(scale, Math.abs(fd[j]!));
    }
    perInput.push({ input: i, error: scale === 0 ? num : num / scale, scale });
  });
  return { error: Math.max(0, ...perInput.map((p) => p.error)), perInput, emitted: d.emitter.nodes.map((n) => n.opType!) };
}
