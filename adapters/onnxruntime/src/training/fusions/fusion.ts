// Fusions: a few-node subgraph differentiated as one function where that takes fewer passes over
// the data than its ops' rules one by one (and onnxruntime would not fuse the result). A fusion
// applies only when the subgraph's interior values are read by nothing else.
// Internal.

import type { GraphNode } from '../graph.js';
import type { RuleContext } from '../rules/rule.js';

/** A matched subgraph: its last node, its one differentiated input, and its gradient. */
export interface Fusion {
  readonly root: GraphNode;
  /** The value whose gradient the fusion emits. */
  readonly input: string;
  /** The other nodes of the subgraph (their rules do not run). */
  readonly interior: readonly GraphNode[];
  /** `∂input` from the gradient of the root's output (ctx is the root node's). */
  backward(ctx: RuleContext, dy: string): string;
}

/** What a matcher may ask of the graph. */
export interface FusionContext {
  /** The node computing `value`, in the default domain. */
  producer(value: string): GraphNode | undefined;
  /** A known scalar value (a one-element constant), or `undefined`. */
  scalar(value: string): number | undefined;
  /** Whether `value` is read by exactly one node and is neither a graph output nor a seed. */
  private(value: string): boolean;
}
