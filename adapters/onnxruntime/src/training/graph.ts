// A read-only view of an ONNX graph: its nodes in topological order with parsed attributes, who
// produces each value, the initializers and the inputs fed at run time. Building it checks that
// the graph is complete (every value a node reads is defined), which a truncated file fails.
// Internal.

import type { GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/schema.js';
import { Attributes } from './attributes.js';
import { invalidModel } from './errors.js';

/** A node of the graph. */
export interface GraphNode {
  /** Position in topological order. */
  readonly index: number;
  readonly proto: NodeProto;
  readonly opType: string;
  /** `''` for the default ONNX domain (also when the file says `ai.onnx`). */
  readonly domain: string;
  /** The node's name, or `<opType> #<index>` when it has none. */
  readonly name: string;
  /** Input value names (`''` for an absent optional input). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

/** The graph of a model, as the gradient builder reads it. */
export class Graph {
  readonly nodes: readonly GraphNode[];
  /** Value name → the node computing it. */
  readonly producers: ReadonlyMap<string, GraphNode>;
  /** Initializers by name. */
  readonly initializers: ReadonlyMap<string, TensorProto>;
  /** Inputs fed at run time (graph inputs that are not initializers), by name. */
  readonly inputs: ReadonlyMap<string, ValueInfoProto>;
  /** Graph output names. */
  readonly outputs: readonly string[];
  /** The default domain's opset version. */
  readonly opset: number;

  constructor(model: ModelProto) {
    const graph: GraphProto | undefined = model.graph;
    if (graph === undefined) throw invalidModel('the file holds no graph');
    const opset = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version;
    if (opset === undefined) throw invalidModel('the file names no opset of the default ONNX domain (a truncated file?)');
    this.opset = opset;
    this.initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
    this.inputs = new Map(graph.input.filter((i) => !this.initializers.has(i.name ?? '')).map((i) => [i.name ?? '', i]));
    this.outputs = graph.output.map((o) => o.name ?? '');
    if (graph.sparseInitializer.length > 0) throw invalidModel('sparse initializers are not supported');

    const known = new Set<string>([...this.initializers.keys(), ...this.inputs.keys()]);
    const sorted = topologicalOrder(graph.node, known);
    const producers = new Map<string, GraphNode>();
    this.nodes = sorted.map((proto, index) => {
      const domain = proto.domain === 'ai.onnx' ? '' : (proto.domain ?? '');
      const opType = proto.opType ?? '';
      const node: GraphNode = {
        index,
        proto,
        opType,
        domain,
        name: proto.name !== undefined && proto.name !== '' ? proto.name : `${opType} #${index}`,
        inputs: proto.input,
        outputs: proto.output,
        attrs: new Attributes(proto.attribute),
      };
      for (const o of proto.output) if (o !== '') producers.set(o, node);
      return node;
    });
    this.producers = producers;
    for (const o of this.outputs) {
      if (!producers.has(o) && !known.has(o)) throw invalidModel(`graph output "${o}" is computed by no node (a truncated file?)`);
    }
  }
}

/**
 * The nodes in an order where every value is computed before it is read (the file's own order when
 * it already is one, as the ONNX spec asks). Throws when a node reads a value nothing defines.
 */
function topologicalOrder(nodes: readonly NodeProto[], known: ReadonlySet<string>): NodeProto[] {
  const defined = new Set(known);
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => o !== '' && producedBy.set(o, i)));
  const order: NodeProto[] = [];
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 done
  const visit = (start: number): void => {
    const stack: Array<{ i: number; next: number }> = [{ i: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const node = nodes[top.i]!;
      if (top.next < node.input.length) {
        const value = node.input[top.next++]!;
        if (value === '' || defined.has(value)) continue;
        const p = producedBy.get(value);
        if (p === undefined) {
          throw invalidModel(`node "${node.name || node.opType}" (${node.opType}) reads "${value}", which no node, input or initializer defines (a truncated file?)`);
        }
        if (state[p] === 1) throw invalidModel(`the graph has a cycle through "${value}"`);
        if (state[p] === 0) {
          state[p] = 1;
          stack.push({ i: p, next: 0 });
        }
      } else {
        stack.pop();
        state[top.i] = 2;
        for (const o of node.output) if (o !== '') defined.add(o);
        order.push(node);
      }
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return order;
}
