// Reverse-mode differentiation of an ONNX graph: which values depend on the variables, which of
// those lead to a seeded value (the loss), and, walking the graph backwards, each node's rule
// emitting the gradients of its inputs from those of its outputs (contributions to one value summed).
// Unsupported nodes (no rule, or outside their rule) are found before anything is emitted.
// Internal.

import { LmoError } from '@lmo/core';
import { numericValues, isFloatType } from '../onnx/tensor-data.js';
import { Attributes, intsAttr } from './attributes.js';
import { numericValuesOfConstant } from './constants.js';
import type { Emitter, Producer } from './emitter.js';
import { Unsupported, listNames, trainingError } from './errors.js';
import type { ValueFacts } from './facts.js';
import type { Graph, GraphNode } from './graph.js';
import { findFusions } from './fusions/index.js';
import { gradientRules, type CheckContext, type GradientRule, type RuleContext } from './rules/index.js';

/** What to differentiate: the variables, and the values whose gradients are given (the seeds). */
export interface GradientRequest {
  /** Values to differentiate with respect to (trainable initializers, or inputs in tests). */
  readonly wrt: readonly string[];
  /** `[value, seed]`: the gradient of `value` is the value named `seed` (the loss's is 1). */
  readonly seeds: ReadonlyArray<readonly [string, string]>;
}

/** The result: a gradient value per variable, and forward outputs the rules asked for. */
export interface Gradients {
  readonly grads: ReadonlyMap<string, string>;
  /** Node index → its full output list, for nodes given optional outputs (e.g. LayerNorm's mean). */
  readonly extraOutputs: ReadonlyMap<number, readonly string[]>;
}

function differentiableInputs(rule: GradientRule | undefined, node: GraphNode): readonly number[] {
  const d = rule?.differentiable;
  if (d === undefined) return node.inputs.map((_, i) => i);
  return typeof d === 'function' ? d(node) : d;
}

/** The forward producers, with a Transpose's default permutation written out (for the emitter's simplifications). */
export function forwardProducers(graph: Graph, facts: ValueFacts): Map<string, Producer> {
  const producers = new Map<string, Producer>();
  for (const node of graph.nodes) {
    let attrs = node.attrs;
    if (node.opType === 'Transpose' && !attrs.has('perm') && facts.has(node.inputs[0]!)) {
      const rank = facts.info(node.inputs[0]!).shape.length;
      attrs = new Attributes([...node.proto.attribute, intsAttr('perm', Array.from({ length: rank }, (_, i) => rank - 1 - i))]);
    }
    const producer: Producer = { opType: node.domain === '' ? node.opType : `${node.domain}:${node.opType}`, inputs: node.inputs, attrs, emitted: false };
    for (const o of node.outputs) if (o !== '') producers.set(o, producer);
  }
  return producers;
}

/**
 * Emits the gradients of `request.wrt` into `e`. Throws an `LmoError` naming the first unsupported
 * node (its op type and the variables it blocks) before emitting anything, and one naming any
 * variable the seeds do not depend on.
 */
export function buildGradients(graph: Graph, facts: ValueFacts, request: GradientRequest, e: Emitter): Gradients {
  const wrt = new Set(request.wrt);
  const float = (v: string): boolean => v !== '' && isFloatType(facts.info(v).dtype);

  // Forward: values that depend on a variable through differentiable inputs.
  const requires = new Set<string>(request.wrt);
  const ruleOf = new Map<GraphNode, GradientRule | undefined>();
  const active: GraphNode[] = [];
  for (const node of graph.nodes) {
    const rule = node.domain === '' ? gradientRules.get(node.opType) : undefined;
    ruleOf.set(node, rule);
    const diff = differentiableInputs(rule, node);
    if (!diff.some((i) => requires.has(node.inputs[i] ?? ''))) continue;
    const outs = node.outputs.filter(float);
    if (outs.length === 0) continue;
    outs.forEach((o) => requires.add(o));
    active.push(node);
  }

  // Backward: the active nodes on a path to a seed; their requiring inputs need gradients.
  const needed = new Set<string>(request.seeds.map(([v]) => v).filter((v) => requires.has(v)));
  const path: GraphNode[] = [];
  for (let k = active.length - 1; k >= 0; k--) {
    const node = active[k]!;
    if (!node.outputs.some((o) => needed.has(o))) continue;
    path.push(node);
    for (const i of differentiableInputs(ruleOf.get(node), node)) {
      const x = node.inputs[i] ?? '';
      if (requires.has(x)) needed.add(x);
    }
  }

  const blocked = (node: GraphNode): string[] => {
    const found = new Set<string>();
    const stack = node.inputs.filter((x) => requires.has(x));
    const seen = new Set(stack);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (wrt.has(v)) found.add(v);
      for (const x of graph.producers.get(v)?.inputs ?? []) {
        if (requires.has(x) && !seen.has(x)) {
          seen.add(x);
          stack.push(x);
        }
      }
    }
    return request.wrt.filter((w) => found.has(w));
  };
  const unsupported = (node: GraphNode, why: string, more = ''): LmoError =>
    trainingError('BACKEND', `node "${node.name}" (${node.domain === '' ? '' : `${node.domain}:`}${node.opType}, opset ${graph.opset}) ${why}; it blocks the gradients of ${listNames(blocked(node))}${more}`);

  const checkContext: CheckContext = {
    opset: graph.opset,
    constant: (v) => {
      const init = graph.initializers.get(v);
      if (init !== undefined) return wrt.has(v) ? undefined : numericValues(init);
      const p = graph.producers.get(v);
      return p?.opType === 'Constant' ? numericValuesOfConstant(p) : undefined;
    },
  };
  const failures = path
    .map((node) => {
      const rule = ruleOf.get(node);
      if (rule === undefined) return { node, why: 'has no gradient rule' };
      const reason = rule.check?.(node, checkContext);
      return reason === undefined ? undefined : { node, why: `is not supported with ${reason}` };
    })
    .filter((f) => f !== undefined);
  if (failures.length > 0) {
    const [first, ...rest] = failures.reverse(); // the first in graph order
    const more = rest.length === 0 ? '' : ` (${rest.length} more unsupported: ${listNames([...new Set(rest.map((f) => f!.node.opType))])})`;
    throw unsupported(first!.node, first!.why, more);
  }

  // Emission, in reverse topological order.
  const contributions = new Map<string, string[]>();
  const contribute = (v: string, g: string): void => {
    const list = contributions.get(v);
    if (list === undefined) contributions.set(v, [g]);
    else list.push(g);
  };
  const gradOf = (v: string): string | undefined => {
    const list = contributions.get(v);
    if (list === undefined || list.length === 0) return undefined;
    const total = e.sum(list);
    contributions.set(v, [total]);
    return total;
  };
  for (const [v, seed] of request.seeds) if (needed.has(v)) contribute(v, seed);

  const extraOutputs = new Map<number, string[]>();
  const fusions = findFusions(graph, facts, new Set(request.seeds.map(([v]) => v)));
  for (const node of path) {
    const dys = node.outputs.map((o) => (o !== '' && needed.has(o) ? gradOf(o) : undefined));
    if (dys.every((d) => d === undefined)) continue;
    const rule = ruleOf.get(node)!;
    const diff = new Set(differentiableInputs(rule, node));
    const wants = (i: number): boolean => diff.has(i) && needed.has(node.inputs[i] ?? '');
    const ctx = ruleContext(node, e, facts, wants, extraOutputs);
    const fusion = fusions.get(node);
    if (fusion !== undefined && dys[0] !== undefined && node.outputs.length === 1) {
      // Its interior nodes get no gradient: their rules do not run.
      if (needed.has(fusion.input)) contribute(fusion.input, fusion.backward(ctx, dys[0]));
      continue;
    }
    let grads: ReadonlyArray<string | undefined>;
    try {
      grads = rule.backward(ctx, dys);
    } catch (error) {
      if (error instanceof Unsupported) throw unsupported(node, `is not supported with ${error.message}`);
      throw error;
    }
    node.inputs.forEach((x, i) => {
      const g = grads[i];
      if (g !== undefined && wants(i)) contribute(x, g);
    });
  }

  const grads = new Map<string, string>();
  for (const w of request.wrt) {
    const g = gradOf(w);
    if (g === undefined) {
      throw trainingError('UNKNOWN_PARAMETER', `trainable initializer "${w}" does not affect the loss (no differentiable path leads from it to the loss); leave it out of "trainable"`);
    }
    grads.set(w, g);
  }
  return { grads, extraOutputs };
}

function ruleContext(node: GraphNode, e: Emitter, facts: ValueFacts, wants: (i: number) => boolean, extraOutputs: Map<number, string[]>): RuleContext {
  const output = (i: number): string => node.outputs[i] ?? '';
  return {
    node,
    e,
    opset: e.opset,
    input: (i) => node.inputs[i] ?? '',
    output,
    shape: (v) => facts.info(v).shape,
    dtype: (v) => facts.info(v).dtype,
    wants,
    constant: (i) => facts.constant(node.inputs[i] ?? ''),
    requireConstant(i, what) {
      const values = facts.constant(node.inputs[i] ?? '');
      if (values === undefined) throw new Unsupported(`a "${what}" input that is not a constant`);
      return values;
    },
    forwardOutput(k) {
      const outs = extraOutputs.get(node.index) ?? [...node.outputs];
      if ((outs[k] ?? '') === '') {
        while (outs.length <= k) outs.push('');
        outs[k] = e.fresh(`${outs[0]}/out${k}`);
        extraOutputs.set(node.index, outs);
      }
      return outs[k]!;
    },
    scalar: (value, like) => e.scalar(value, facts.info(like ?? output(0)).dtype),
    unbroadcast: (g, i) => e.unbroadcast(g, facts.info(output(0)).shape, facts.info(node.inputs[i] ?? '').shape),
  };
}
