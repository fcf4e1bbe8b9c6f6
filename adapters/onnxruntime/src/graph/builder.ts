// Turns a set of output nodes into one ONNX graph.
//
// The nodes reachable from the outputs are put in a deterministic topological order (depth-first,
// inputs before users, outputs in the order given). That order yields both
// - a **structural key** — op types, attributes, shapes and wiring, with leaves and scalars
//   numbered by first use — which is identical for every step with the same structure whatever
//   the numbers, and
// - the ONNX graph itself (built only when the key is not cached yet).
// Internal: not part of the package exports.

import type { StorageDtype } from '@lmo/core';
import { BFLOAT16_OPSET, DataType, OPSET_VERSION, type GraphDef, type InitializerDef, type NodeDef, type ValueInfoDef } from '../onnx/model.js';
import { newtonSchulzKey, newtonSchulzNodes } from './newton-schulz.js';
import { Leaf, OpNode, ScalarInput, type GraphNode, type OpAttributes } from './nodes.js';

/** A traced graph: its cache key, the values to feed (in input order) and a way to build it. */
export interface TracedGraph {
  /** Structural key: equal keys ⇔ the same ONNX graph. */
  readonly key: string;
  /** The data inputs in order (each its own graph input). */
  readonly feeds: readonly Leaf[];
  /** Names of the data inputs, parallel to {@link TracedGraph.feeds}. */
  readonly inputNames: readonly string[];
  /**
   * The numbers, packed into one graph input named {@link SCALARS_INPUT} of shape `[k]` (absent when
   * k = 0) and split into `[1]` pieces by a tree of `Split` nodes: one feed instead of k, which
   * matters — a nanoGPT step has ~400 of them.
   */
  readonly scalars: Float32Array;
  /** Names of the graph outputs, parallel to the requested outputs. */
  readonly outputNames: readonly string[];
  /** The default-domain opset: 17, or 26 when bfloat16 goes in or out (its `BitCast`). */
  readonly opset: typeof OPSET_VERSION | typeof BFLOAT16_OPSET;
  /** The ONNX graph (built on demand: only needed on a cache miss). */
  build(): GraphDef;
}

/** One letter per storage dtype, for structural keys. */
const DTYPE_KEY: Readonly<Record<StorageDtype, string>> = { float32: '', bfloat16: 'b', float16: 'h' };

/** The ONNX element types of a 16-bit dtype: the graph's own, and what JavaScript feeds it as. */
const HALF_TYPES = {
  float16: { elem: DataType.FLOAT16, feed: DataType.FLOAT16 },
  bfloat16: { elem: DataType.BFLOAT16, feed: DataType.UINT16 },
} as const;

/**
 * Nodes that widen a 16-bit input `input` (as fed: float16, or bfloat16's bits as uint16) into the
 * float32 value `name`.
 */
function widen(input: string, name: string, dtype: 'bfloat16' | 'float16'): NodeDef[] {
  if (dtype === 'float16') return [{ opType: 'Cast', inputs: [input], outputs: [name], attributes: { to: { int: DataType.FLOAT } } }];
  return [
    { opType: 'BitCast', inputs: [input], outputs: [`${name}_bf16`], attributes: { to: { int: DataType.BFLOAT16 } } },
    { opType: 'Cast', inputs: [`${name}_bf16`], outputs: [name], attributes: { to: { int: DataType.FLOAT } } },
  ];
}

/** Nodes that round the float32 value `input` to nearest even into a 16-bit output `name` (bfloat16 as its uint16 bits). */
function narrow(input: string, name: string, dtype: 'bfloat16' | 'float16'): NodeDef[] {
  if (dtype === 'float16') return [{ opType: 'Cast', inputs: [input], outputs: [name], attributes: { to: { int: DataType.FLOAT16 } } }];
  return [
    { opType: 'Cast', inputs: [input], outputs: [`${name}_bf16`], attributes: { to: { int: DataType.BFLOAT16 } } },
    { opType: 'BitCast', inputs: [`${name}_bf16`], outputs: [name], attributes: { to: { int: DataType.UINT16 } } },
  ];
}

/** Name of the packed scalar input. */
export const SCALARS_INPUT = 'scalars';

/** Traces so far: a node marked with the current one has been visited by it (see `GraphNode.trace`). */
let traces = 0;

/**
 * Put the nodes reachable from `outputs` in topological order (iterative DFS, no recursion limit),
 * marking each with `trace` and its position in the order. Marks on the nodes rather than a Set
 * and a Map of them: a step's graph is traced anew every step, and hashing its ~1,500 fresh nodes
 * cost more than the rest of the tracing.
 */
function topologicalOrder(outputs: readonly OpNode[], trace: number): GraphNode[] {
  const order: GraphNode[] = [];
  const stack: GraphNode[] = [];
  /** Per stack entry: the index of the next input to visit. */
  const next: number[] = [];
  for (const out of outputs) {
    if (out.trace === trace) continue;
    out.trace = trace;
    stack.push(out);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top]!;
      const k = next[top]!;
      if (node instanceof OpNode && k < node.inputs.length) {
        next[top] = k + 1;
        const child = node.inputs[k]!;
        if (child.trace !== trace) {
          child.trace = trace;
          stack.push(child);
          next.push(0);
        }
      } else {
        node.position = order.length;
        order.push(node);
        stack.pop();
        next.pop();
      }
    }
  }
  return order;
}

/** The key of each `NewtonSchulz` attribute object (one per batch of same-shape matrices). */
const newtonSchulzKeys = new WeakMap<NonNullable<OpAttributes['newtonSchulz']>, string>();

function attributeKey(node: OpNode): string {
  const a = node.attributes;
  let key = '';
  if (a.axis !== undefined) key += `a${a.axis}`;
  if (a.transA) key += 'tA';
  if (a.transB) key += 'tB';
  if (node.op === 'Reshape') key += `[${node.shape.join('x')}]`;
  const ns = a.newtonSchulz;
  if (ns !== undefined) {
    let nsKey = newtonSchulzKeys.get(ns);
    if (nsKey === undefined) newtonSchulzKeys.set(ns, (nsKey = newtonSchulzKey(ns.side, ns.coefficients)));
    key += nsKey;
  }
  if (a.round !== undefined) key += `:${a.round.dtype}`;
  return key;
}

/**
 * Most outputs one `Split` node gets. onnxruntime-web's WebGPU kernels bind every input and output as
 * a storage buffer, and WebGPU guarantees only 8 per shader stage: one input plus seven outputs.
 */
export const SPLIT_FAN_OUT = 7;

/**
 * Split the rank-1 tensor `input` into one `[1]` piece per name in `pieces`, as a tree of `Split`
 * nodes with at most {@link SPLIT_FAN_OUT} outputs each (depth ⌈log₇ k⌉).
 */
function splitTree(input: string, pieces: readonly string[], nodes: NodeDef[], initializers: InitializerDef[]): void {
  let chunk = 1; // the largest power of the fan-out that still needs at most SPLIT_FAN_OUT groups
  while (chunk * SPLIT_FAN_OUT < pieces.length) chunk *= SPLIT_FAN_OUT;
  const groups: string[][] = [];
  for (let i = 0; i < pieces.length; i += chunk) groups.push(pieces.slice(i, i + chunk));
  const sizes = groups.map((g) => g.length);
  const sizesName = `split_${sizes.join('_')}`;
  if (!initializers.some((t) => t.name === sizesName)) {
    initializers.push({ name: sizesName, dataType: DataType.INT64, dims: [sizes.length], values: sizes });
  }
  const outputs = groups.map((g) => (g.length === 1 ? g[0]! : `${input}_${g[0]!}`));
  nodes.push({ opType: 'Split', inputs: [input, sizesName], outputs, attributes: { axis: { int: 0 } } });
  groups.forEach((g, j) => {
    if (g.length > 1) splitTree(outputs[j]!, g, nodes, initializers);
  });
}

/**
 * Trace the graph computing `outputs` (op nodes), each as the dtype of `dtypes` (float32 when
 * absent: a 16-bit output is rounded to nearest even by a `Cast`). An output may appear twice
 * with two dtypes, never twice with one. A `Round` node with a seed may not be part of the graph
 * (its rounding runs on the host).
 */
export function traceGraph(outputs: readonly OpNode[], dtypes: readonly StorageDtype[] = []): TracedGraph {
  const order = topologicalOrder(outputs, ++traces);
  const outputDtype = (k: number): StorageDtype => dtypes[k] ?? 'float32';
  let bfloat16 = outputs.some((_, k) => outputDtype(k) === 'bfloat16');
  /** Per position in `order`: an op's input positions (its wiring, kept for `build`, which may run after another trace). */
  const wiring: Array<readonly number[] | undefined> = new Array(order.length);
  const feeds: Leaf[] = [];
  const inputNames: string[] = [];
  const scalarNodes: ScalarInput[] = [];
  /** Positions of the scalars consumed by a rank-0 op: their `[1]` piece is reshaped to `[]` so ranks stay exact. */
  const rank0Scalars = new Set<number>();
  /** The key's parts, one per node and then the outputs (joined once: a flat string, hashed fast). */
  const parts: string[] = [];
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    if (node instanceof OpNode) {
      const ins = node.inputs.map((x) => x.position);
      wiring[i] = ins;
      parts.push(`${node.op}${attributeKey(node)}(${ins.join(',')})`);
      if (node.shape.length === 0) {
        for (const x of node.inputs) if (x instanceof ScalarInput) rank0Scalars.add(x.position);
      }
    } else if (node instanceof Leaf) {
      feeds.push(node);
      inputNames.push(node.dtype === 'float32' ? `v${i}` : `v${i}_in`);
      parts.push(`L${DTYPE_KEY[node.dtype]}${node.shape.join('x')}`);
      if (node.dtype === 'bfloat16') bfloat16 = true;
    } else {
      scalarNodes.push(node);
      parts.push('S');
    }
  }
  const scalarPositions = scalarNodes.map((x) => x.position);
  if (rank0Scalars.size > 0) parts.push(`s0:${scalarPositions.map((i) => (rank0Scalars.has(i) ? 1 : 0)).join('')}`);
  const scalars = Float32Array.from(scalarNodes, (x) => x.value);
  const outputIndices: number[] = [];
  const outputParts: string[] = [];
  for (let k = 0; k < outputs.length; k++) {
    const i = outputs[k]!.position;
    outputIndices.push(i);
    outputParts.push(`${i}${DTYPE_KEY[outputDtype(k)]}`);
  }
  parts.push(`=>${outputParts.join(',')}`);
  const key = parts.join(';');
  const outputNames = outputIndices.map((i, k) => (outputDtype(k) === 'float32' ? `v${i}` : `v${i}_out${DTYPE_KEY[outputDtype(k)]}`));
  const opset = bfloat16 ? BFLOAT16_OPSET : OPSET_VERSION;

  const build = (): GraphDef => {
    const nodes: NodeDef[] = [];
    const initializers: InitializerDef[] = [];
    const inputs: ValueInfoDef[] = [];
    if (scalarNodes.length > 0) {
      inputs.push({ name: SCALARS_INPUT, elemType: DataType.FLOAT, shape: [scalarNodes.length] });
      const pieces = scalarPositions.map((i) => (rank0Scalars.has(i) ? `v${i}_1` : `v${i}`));
      splitTree(SCALARS_INPUT, pieces, nodes, initializers);
      if (rank0Scalars.size > 0) {
        initializers.push({ name: 'rank0', dataType: DataType.INT64, dims: [0], values: [] });
        for (const i of rank0Scalars) {
          const name = `v${i}`;
          nodes.push({ opType: 'Reshape', inputs: [`${name}_1`, 'rank0'], outputs: [name] });
        }
      }
    }
    order.forEach((node, i) => {
      const name = `v${i}`;
      if (node instanceof ScalarInput) return;
      if (node instanceof Leaf) {
        if (node.dtype === 'float32') {
          inputs.push({ name, elemType: DataType.FLOAT, shape: node.shape });
          return;
        }
        inputs.push({ name: `${name}_in`, elemType: HALF_TYPES[node.dtype].feed, shape: node.shape });
        nodes.push(...widen(`${name}_in`, name, node.dtype));
        return;
      }
      const ins = wiring[i]!.map((k) => `v${k}`);
      switch (node.op) {
        case 'Transpose':
          nodes.push({ opType: 'Transpose', inputs: ins, outputs: [name], attributes: { perm: { ints: [1, 0] } } });
          break;
        case 'Reshape': {
          const shapeName = `shape${i}`;
          initializers.push({ name: shapeName, dataType: DataType.INT64, dims: [node.shape.length], values: node.shape });
          nodes.push({ opType: 'Reshape', inputs: [...ins, shapeName], outputs: [name] });
          break;
        }
        case 'ReduceSumSquare': {
          const axis = node.attributes.axis;
          // the axes: an attribute through opset 17, an input from 18
          const axesInput = axis !== undefined && opset !== OPSET_VERSION ? `axes${axis}` : undefined;
          if (axesInput !== undefined && !initializers.some((t) => t.name === axesInput)) initializers.push({ name: axesInput, dataType: DataType.INT64, dims: [1], values: [axis!] });
          nodes.push({
            opType: 'ReduceSumSquare',
            inputs: axesInput === undefined ? ins : [...ins, axesInput],
            outputs: [name],
            attributes: axis === undefined || axesInput !== undefined ? { keepdims: { int: 1 } } : { keepdims: { int: 1 }, axes: { ints: [axis] } },
          });
          break;
        }
        case 'Round': {
          const round = node.attributes.round!;
          if (round.seed !== undefined) throw new Error('a stochastic Round is rounded on the host: it must be an output of the run (or reshaped into one), not an input of another operation');
          if (round.dtype === 'float32') nodes.push({ opType: 'Identity', inputs: ins, outputs: [name] });
          else {
            // to nearest even by a Cast into the dtype and back (bfloat16 needs no BitCast here)
            nodes.push(
              { opType: 'Cast', inputs: ins, outputs: [`${name}_r`], attributes: { to: { int: HALF_TYPES[round.dtype].elem } } },
              { opType: 'Cast', inputs: [`${name}_r`], outputs: [name], attributes: { to: { int: DataType.FLOAT } } },
            );
          }
          break;
        }
        case 'MaxAbs': {
          // max|x| = max(max x, −min x): two read-only reductions, no |x| written. onnxruntime's
          // ReduceMax skips NaN; the contract propagates it: Σx² is NaN exactly when x holds a NaN
          // (±Inf squares to +Inf), so where(isnan(Σx²), Σx², max|x|).
          const x = ins[0]!;
          const keep = { keepdims: { int: 1 } };
          nodes.push(
            { opType: 'ReduceMax', inputs: [x], outputs: [`${name}_max`], attributes: keep },
            { opType: 'ReduceMin', inputs: [x], outputs: [`${name}_min`], attributes: keep },
            { opType: 'Neg', inputs: [`${name}_min`], outputs: [`${name}_negmin`] },
            { opType: 'Max', inputs: [`${name}_max`, `${name}_negmin`], outputs: [`${name}_abs`] },
            { opType: 'ReduceSumSquare', inputs: [x], outputs: [`${name}_ss`], attributes: keep },
            { opType: 'IsNaN', inputs: [`${name}_ss`], outputs: [`${name}_nan`] },
            { opType: 'Where', inputs: [`${name}_nan`, `${name}_ss`, `${name}_abs`], outputs: [name] },
          );
          break;
        }
        case 'Gemm':
          nodes.push({
            opType: 'Gemm',
            inputs: ins,
            outputs: [name],
            attributes: { transA: { int: node.attributes.transA ? 1 : 0 }, transB: { int: node.attributes.transB ? 1 : 0 } },
          });
          break;
        case 'NewtonSchulz': {
          const ns = node.attributes.newtonSchulz!;
          const emitted = newtonSchulzNodes(ins[0]!, name, [node.shape[0]!, node.shape[1]!], ns.side, ns.coefficients);
          nodes.push(...emitted.nodes);
          for (const init of emitted.initializers) if (!initializers.some((t) => t.name === init.name)) initializers.push(init);
          break;
        }
        default:
          nodes.push({ opType: node.op, inputs: ins, outputs: [name] });
      }
    });
    const outputsInfo: ValueInfoDef[] = outputs.map((o, k) => {
      const dtype = outputDtype(k);
      if (dtype === 'float32') return { name: outputNames[k]!, elemType: DataType.FLOAT, shape: o.shape };
      nodes.push(...narrow(`v${outputIndices[k]!}`, outputNames[k]!, dtype));
      return { name: outputNames[k]!, elemType: HALF_TYPES[dtype].feed, shape: o.shape };
    });
    return { name: 'lmo_step', nodes, inputs, outputs: outputsInfo, initializers };
  };

  return { key: opset === OPSET_VERSION ? key : `${key}@${opset}`, feeds, inputNames, scalars, outputNames, opset, build };
}
