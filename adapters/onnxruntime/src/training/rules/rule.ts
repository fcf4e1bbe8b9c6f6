// What a gradient rule is, and what it may ask of the graph while it emits its backward nodes.
// Internal.

import type { Emitter } from '../emitter.js';
import type { GraphNode } from '../graph.js';

/**
 * What a rule sees of the node it differentiates. Shapes are static (known before the graph is
 * built); every gradient has the shape of its value.
 */
export interface RuleContext {
  readonly node: GraphNode;
  readonly e: Emitter;
  /** The training graph's default opset. */
  readonly opset: number;
  /** Name of input `i` (`''` when absent). */
  input(i: number): string;
  /** Name of output `i` (`''` when absent). */
  output(i: number): string;
  /** Static shape of a forward value. */
  shape(value: string): readonly number[];
  /** Element type (`TensorProto.DataType`) of a forward value. */
  dtype(value: string): number;
  /** Whether input `i` needs a gradient (rules return `undefined` for the others). */
  wants(i: number): boolean;
  /**
   * The values of input `i` when they are known before training (an initializer that does not
   * train, a Constant, or computed from those and from shapes); `undefined` otherwise.
   */
  constant(i: number): number[] | undefined;
  /** {@link RuleContext.constant}, or an error (the node is unsupported) naming `what`. */
  requireConstant(i: number, what: string): number[];
  /**
   * The name of the node's optional output `k` (LayerNormalization's mean, MaxPool's indices, …),
   * added to the node in the training graph when the model left it out.
   */
  forwardOutput(k: number): string;
  /** A rank-0 constant with the element type of `like` (default: output 0). */
  scalar(value: number, like?: string): string;
  /** `g`, shaped like output 0 (a broadcast result), reduced to input `i`'s shape. */
  unbroadcast(g: string, i: number): string;
}

/** What a rule's `check` may read before shapes are known. */
export interface CheckContext {
  /** The model's default opset. */
  readonly opset: number;
  /** The values of an initializer that does not train, or of a Constant node's output; else `undefined`. */
  constant(value: string): number[] | undefined;
}

/** The gradient rule of one op type. */
export interface GradientRule {
  readonly op: string;
  /**
   * Which inputs carry a gradient; the others are treated as constants (indices, shapes, masks).
   * Default: every floating-point input.
   */
  readonly differentiable?: readonly number[] | ((node: GraphNode) => readonly number[]);
  /** Why this node is outside the rule (an attribute value or form), or `undefined` when it is covered. */
  readonly check?: (node: GraphNode, c: CheckContext) => string | undefined;
  /**
   * Emits the backward nodes: given the gradients of the node's outputs (`undefined`: zero), returns
   * the gradients of its inputs (`undefined` for inputs not wanted, or zero).
   */
  readonly backward: (ctx: RuleContext, dy: ReadonlyArray<string | undefined>) => ReadonlyArray<string | undefined>;
  /** What the rule covers, for the list of supported ops in the docs. */
  readonly covers?: string;
}
