// The fusions the gradient builder looks for, and where they apply in a graph.
// Internal.

import type { ValueFacts } from '../facts.js';
import type { Graph, GraphNode } from '../graph.js';
import type { Fusion, FusionContext } from './fusion.js';
import { matchGelu } from './gelu.js';

export type { Fusion } from './fusion.js';

const MATCHERS = [matchGelu];

/**
 * The fusions of `graph` by root node. `keep`: values whose gradients are given (seeds) or that
 * leave the graph, which a fusion must not hide.
 */
export function findFusions(graph: Graph, facts: ValueFacts, keep: ReadonlySet<string>): Map<GraphNode, Fusion> {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const x of n.inputs) if (x !== '') consumers.set(x, (consumers.get(x) ?? 0) + 1);
  const outputs = new Set(graph.outputs);
  const context: FusionContext = {
    producer: (v) => {
      const p = graph.producers.get(v);
      return p?.domain === '' ? p : undefined;
    },
    scalar: (v) => {
      const values = facts.constant(v);
      return values?.length === 1 ? values[0] : undefined;
    },
    private: (v) => consumers.get(v) === 1 && !outputs.has(v) && !keep.has(v),
  };
  const fusions = new Map<GraphNode, Fusion>();
  const covered = new Set<GraphNode>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (covered.has(node) || node.domain !== '') continue;
    for (const match of MATCHERS) {
      const fusion = match(context, node);
      if (fusion === undefined) continue;
      fusions.set(node, fusion);
      fusion.interior.forEach((n) => covered.add(n));
      break;
    }
  }
  return fusions;
}
