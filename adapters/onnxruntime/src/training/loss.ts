/**
 * What the trainer minimizes: a scalar the model computes, or a loss appended to one of its
 * outputs (cross-entropy over class logits with integer labels, mean squared error).
 */
import { ElemType, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/schema.js';
import { constantTensor, elementCount, isFloatType, typeName } from '../onnx/tensor-data.js';
import { intAttr, nodeProto } from './attributes.js';
import { listNames, trainingError } from './errors.js';
import type { ValueFacts } from './facts.js';
import type { Graph } from './graph.js';

/**
 * The loss to minimize:
 * - a value name (usually a graph output) holding a scalar the model computes, e.g. `'loss'`;
 * - `{ crossEntropy: 'logits' }`: the mean cross-entropy of the logits `z` (classes on the last
 *   axis, `N` rows once the other axes are flattened) against integer class labels `t`, fed as a
 *   new input (`labels`, int64, the logits' shape without the last axis):
 *   `L = −(1/N′) Σₙ log softmax(zₙ)[tₙ]` over the `N′` rows whose label is not `ignoreIndex`;
 * - `{ meanSquaredError: 'y' }`: `L = (1/n) Σᵢ (yᵢ − targetsᵢ)²` over the `n` elements of `y`, the
 *   targets fed as a new input (`targets`, the output's type and shape).
 *
 * `labels` and `targets` name the new inputs when the model already has a value by that name.
 */
export type LossSpec =
  | string
  | { readonly crossEntropy: string; readonly labels?: string; readonly ignoreIndex?: number }
  | { readonly meanSquaredError: string; readonly targets?: string };

/** The graph with its loss: the model (loss nodes appended) and the loss value's name. */
export interface WithLoss {
  readonly model: ModelProto;
  readonly loss: string;
}

function valueInput(name: string, dtype: number, shape: readonly number[]): ValueInfoProto {
  return { name, type: { tensorType: { elemType: dtype, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

/** Checks the loss spec against the graph and appends its nodes (recording their facts). */
export function withLoss(model: ModelProto, graph: Graph, facts: ValueFacts, spec: LossSpec): WithLoss {
  const known = (v: string): boolean => facts.has(v);
  const describe = (): string => `the model's outputs are ${listNames(graph.outputs)}`;
  if (typeof spec === 'string') {
    if (!known(spec)) throw trainingError('INVALID_HYPERPARAMETER', `loss: the model has no value named "${spec}" (${describe()})`);
    const { dtype, shape } = facts.info(spec);
    if (!isFloatType(dtype)) throw trainingError('INVALID_HYPERPARAMETER', `loss: "${spec}" is ${typeName(dtype)}, not a floating-point value`);
    if (elementCount(shape) !== 1) {
      throw trainingError('SHAPE_MISMATCH', `loss: "${spec}" has shape [${shape.join(', ')}], not a scalar; name the model's scalar loss, or append one, e.g. { crossEntropy: "${spec}" }`);
    }
    return { model, loss: spec };
  }
  const isCrossEntropy = 'crossEntropy' in spec;
  const source = isCrossEntropy ? spec.crossEntropy : spec.meanSquaredError;
  if (typeof source !== 'string' || !known(source)) {
    throw trainingError('INVALID_HYPERPARAMETER', `loss: the model has no value named "${String(source)}" (${describe()})`);
  }
  const { dtype, shape } = facts.info(source);
  if (!isFloatType(dtype)) throw trainingError('INVALID_HYPERPARAMETER', `loss: "${source}" is ${typeName(dtype)}, not floating-point`);
  const taken = new Set<string>([...graph.initializers.keys(), ...graph.inputs.keys(), ...graph.producers.keys()]);
  const fresh = (hint: string): string => {
    let name = hint;
    for (let i = 1; taken.has(name); i++) name = `${hint}_${i}`;
    taken.add(name);
    return name;
  };
  const newInput = (name: string): string => {
    if (taken.has(name)) throw trainingError('INVALID_HYPERPARAMETER', `loss: the model already has a value named "${name}"; name the new input otherwise`);
    taken.add(name);
    return name;
  };
  const nodes: NodeProto[] = [];
  const inputs: ValueInfoProto[] = [];
  const loss = fresh('loss');
  if (isCrossEntropy) {
    if (shape.length < 2) throw trainingError('SHAPE_MISMATCH', `loss: cross-entropy needs logits with a batch and a class axis, "${source}" has shape [${shape.join(', ')}]`);
    const C = shape[shape.length - 1]!;
    const labelShape = shape.slice(0, -1);
    const labels = newInput(spec.labels ?? 'labels');
    inputs.push(valueInput(labels, ElemType.INT64, labelShape));
    facts.set(labels, { dtype: ElemType.INT64, shape: labelShape });
    let logits = source;
    let targets = labels;
    const N = elementCount(labelShape);
    if (shape.length > 2) {
      // Classes last → [N, C] rows, the labels → [N].
      const shape2 = fresh('loss/logits_shape');
      const shape1 = fresh('loss/labels_shape');
      model = { ...model, graph: { ...model.graph!, initializer: [...model.graph!.initializer, constantTensor(shape2, ElemType.INT64, [2], [N, C]), constantTensor(shape1, ElemType.INT64, [1], [N])] } };
      facts.set(shape2, { dtype: ElemType.INT64, shape: [2] }, () => [N, C]);
      facts.set(shape1, { dtype: ElemType.INT64, shape: [1] }, () => [N]);
      logits = fresh('loss/logits');
      targets = fresh('loss/labels');
      nodes.push(nodeProto('Reshape', [source, shape2], [logits], fresh('loss/Reshape')), nodeProto('Reshape', [labels, shape1], [targets], fresh('loss/Reshape')));
      facts.set(logits, { dtype, shape: [N, C] });
      facts.set(targets, { dtype: ElemType.INT64, shape: [N] });
    }
    const attrs = spec.ignoreIndex === undefined ? [] : [intAttr('ignore_index', spec.ignoreIndex)];
    nodes.push(nodeProto('SoftmaxCrossEntropyLoss', [logits, targets], [loss], fresh('loss/SoftmaxCrossEntropyLoss'), attrs));
  } else {
    const targets = newInput(spec.targets ?? 'targets');
    inputs.push(valueInput(targets, dtype, shape));
    facts.set(targets, { dtype, shape });
    const diff = fresh('loss/difference');
    const square = fresh('loss/square');
    nodes.push(
      nodeProto('Sub', [source, targets], [diff], fresh('loss/Sub')),
      nodeProto('Mul', [diff, diff], [square], fresh('loss/Mul')),
      nodeProto('ReduceMean', [square], [loss], fresh('loss/ReduceMean'), [intAttr('keepdims', 0)]),
    );
    facts.set(diff, { dtype, shape });
    facts.set(square, { dtype, shape });
  }
  facts.set(loss, { dtype, shape: [] });
  const g = model.graph!;
  return { model: { ...model, graph: { ...g, node: [...g.node, ...nodes], input: [...g.input, ...inputs] } }, loss };
}

