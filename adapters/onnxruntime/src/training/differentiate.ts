// A graph's forward nodes and its gradient nodes, ready to be assembled into a model.
// Internal.

import type { NodeProto } from '../onnx/schema.js';
import { Emitter } from './emitter.js';
import type { ValueFacts } from './facts.js';
import { buildGradients, forwardProducers } from './gradients.js';
import type { Graph } from './graph.js';

/** The lowest opset the gradient nodes need (ScatterND/ScatterElements with `reduction`). */
export const MIN_TRAINING_OPSET = 16;

/** The forward nodes (with the outputs rules asked for), the emitter holding the gradient nodes, and the gradients. */
export interface Differentiated {
  readonly forward: NodeProto[];
  readonly emitter: Emitter;
  readonly grads: ReadonlyMap<string, string>;
  /** The default opset of the graph holding both (the model's, at least {@link MIN_TRAINING_OPSET}). */
  readonly opset: number;
}

/** Differentiates `graph` with respect to `wrt`, the seeds made by `seeds` (e.g. a constant 1 for a loss). */
export function differentiate(graph: Graph, facts: ValueFacts, wrt: readonly string[], seeds: (e: Emitter) => Array<[string, string]>): Differentiated {
  const opset = Math.max(graph.opset, MIN_TRAINING_OPSET);
  const taken = [...graph.initializers.keys(), ...graph.inputs.keys(), ...graph.producers.keys()];
  const emitter = new Emitter(taken, forwardProducers(graph, facts), opset);
  const { grads, extraOutputs } = buildGradients(graph, facts, { wrt, seeds: seeds(emitter) }, emitter);
  const forward = graph.nodes.map((n) => {
    const outs = extraOutputs.get(n.index);
    return { ...n.proto, input: withoutTrailingGaps(n.proto.input), output: outs === undefined ? n.proto.output : [...outs] };
  });
  return { forward, emitter, grads, opset };
}

/**
 * A node's inputs without trailing absent ones (`['x', 'scale', '']` → `['x', 'scale']`): the same
 * node for ONNX, but onnxruntime 1.30's SkipLayerNormFusion crashes on the former form, which
 * PyTorch writes for a LayerNorm without bias.
 */
export function withoutTrailingGaps(inputs: readonly string[]): string[] {
  let n = inputs.length;
  while (n > 0 && inputs[n - 1] === '') n--;
  return inputs.slice(0, n);
}

/** The nodes needed for `outputs`, in order. */
export function prune(nodes: readonly NodeProto[], outputs: readonly string[]): NodeProto[] {
  const needed = new Set(outputs);
  const keep: boolean[] = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.output.some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const x of n.input) if (x !== '') needed.add(x);
  }
  return nodes.filter((_, i) => keep[i]);
}

