// The training graph of a model: its forward pass (with the appended loss), the gradient nodes,
// the trainable initializers turned into inputs (fed from the optimizer's tensors each step), and
// as outputs the loss and one gradient per trainable initializer — or, to accumulate into gradient
// buffers (ScionLight), `acc + ∂L` for an `acc` input each. Also the forward-only evaluation graph.
// Internal.

import type { StorageDtype } from '@lmo/core';
import type * as ort from 'onnxruntime-common';
import { ElemType, encodeModelProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/schema.js';
import { nodeProto } from './attributes.js';
import { differentiate, prune, withoutTrailingGaps } from './differentiate.js';
import { trainingError } from './errors.js';
import { probeFacts, type ProbeRun, type ValueFacts, type ValueInfo } from './facts.js';
import { Graph } from './graph.js';
import { withLoss, type LossSpec } from './loss.js';
import type { OnnxModel } from './model.js';
import { FEED_ELEM, afterDefinition, beforeFirstUse, narrowNodes, widenBitsNodes, widenNodes } from './half.js';
import { upgradeToBitCastOpset } from './opset-upgrade.js';
import { OPSETS } from './rules/index.js';

export interface TrainingGraphOptions {
  readonly trainable: readonly string[];
  readonly loss: LossSpec;
  /** Take an `acc` input per trainable initializer and output `acc + ∂L` instead of `∂L`. */
  readonly accumulate: boolean;
  /** How each trainable initializer is fed (float32 when absent). */
  readonly dtypes?: ReadonlyMap<string, StorageDtype>;
  /** How each accumulator is fed and fetched (float32 when absent). */
  readonly accumulatorDtypes?: ReadonlyMap<string, StorageDtype>;
}

/** A built training graph: the serialized models and the names to feed and read. */
export interface TrainingGraph {
  /** The training model. */
  readonly training: Uint8Array;
  /** The forward-only model computing the loss. */
  readonly evaluation: Uint8Array;
  /** Name of the loss output. */
  readonly loss: string;
  /** Trainable initializer → its gradient output. */
  readonly grads: ReadonlyMap<string, string>;
  /** Trainable initializer → its accumulator input (only with `accumulate`). */
  readonly accumulators: ReadonlyMap<string, string>;
  /**
   * Trainable initializer → the inputs it is fed as, each the same array: its own name in float32,
   * one input in bfloat16, one input for the forward pass and one for the backward pass in float16
   * (see below).
   */
  readonly parameterInputs: ReadonlyMap<string, readonly string[]>;
  /** The inputs a step feeds (the model's data inputs and the appended loss's labels or targets). */
  readonly inputs: ReadonlyMap<string, ValueInfo>;
  /** Trainable initializer → its shape. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

function typed(name: string, info: ValueInfo): ValueInfoProto {
  return { name, type: { tensorType: { elemType: info.dtype, shape: { dim: info.shape.map((d) => ({ dimValue: d })) } } } };
}

/**
 * Checks the opset, probes the model, appends the loss and emits the gradients. A trainable
 * initializer stored in 16 bits is fed as such and widened to float32 twice, once for the forward
 * pass and once for the backward pass, each just before its first use, so that no float32 copy of
 * it need live across both. onnxruntime would merge two identical widenings of one input into one:
 * a bfloat16 weight's second widening takes other ops (a shift of its bits), a float16 weight is
 * fed as two inputs (the same array). A 16-bit accumulator is widened, added to and rounded back
 * inside the graph, each just after its gradient is computed, so that the float32 gradients are not
 * all held at once. bfloat16 raises the graph to opset 26 (see opset-upgrade.ts).
 */
export async function buildTrainingGraph(model: OnnxModel, options: TrainingGraphOptions, run: ProbeRun, Tensor: typeof ort.Tensor): Promise<TrainingGraph> {
  const opset = model.opset;
  if (opset < OPSETS.min || opset > OPSETS.max) {
    throw trainingError('BACKEND', `the model uses opset ${opset}; training supports opsets ${OPSETS.min}–${OPSETS.max} (torch.onnx.export(..., opset_version=17))`);
  }
  const dtypeOf = (name: string): StorageDtype => options.dtypes?.get(name) ?? 'float32';
  const accDtypeOf = (name: string): StorageDtype => options.accumulatorDtypes?.get(name) ?? 'float32';
  const bitcast = options.trainable.some((n) => dtypeOf(n) === 'bfloat16' || (options.accumulate && accDtypeOf(n) === 'bfloat16'));
  const source = bitcast ? upgradeToBitCastOpset(model.proto, opset) : model.proto;
  const sourceGraph = bitcast ? new Graph(source) : model.graph;
  const trainable = new Set(options.trainable);
  const facts: ValueFacts = await probeFacts(source, sourceGraph, (name) => !trainable.has(name), run, Tensor);
  const { model: proto, loss } = withLoss(source, sourceGraph, facts, options.loss);
  const graph = new Graph(proto);
  const g = proto.graph!;
  const lossInfo = facts.info(loss);
  const { forward, emitter: e, grads, opset: trainingOpset } = differentiate(graph, facts, options.trainable, (em) => [[loss, em.constant(lossInfo.dtype, lossInfo.shape, [1])]]);
  const consumers = new Map<string, number>();
  for (const n of [...forward, ...e.nodes]) for (const x of n.input) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  const gradOutputs = new Map<string, string>();
  const accumulators = new Map<string, string>();
  const tail = new Map<string, NodeProto[]>(); // by the gradient they read
  const fresh = (hint: string): string => e.fresh(hint);
  for (const [name, grad] of grads) {
    const out = e.fresh(`grad:${name}`);
    gradOutputs.set(name, out);
    if (options.accumulate) {
      const acc = e.fresh(`acc:${name}`);
      accumulators.set(name, acc);
      const dtype = accDtypeOf(name);
      if (dtype === 'float32') {
        tail.set(grad, [...(tail.get(grad) ?? []), nodeProto('Add', [acc, grad], [out], e.fresh(`${out}/accumulate`))]);
        continue;
      }
      const [wide, sum] = [e.fresh(`${acc}/float32`), e.fresh(`${out}/float32`)];
      tail.set(grad, [...(tail.get(grad) ?? []), ...widenNodes(acc, wide, dtype, fresh), nodeProto('Add', [wide, grad], [sum], e.fresh(`${out}/accumulate`)), ...narrowNodes(sum, out, dtype, fresh)]);
      continue;
    }
    // Rename the node computing the gradient when nothing else reads it; else copy it out.
    const producer = e.nodes.find((n) => n.output.includes(grad));
    if (producer !== undefined && (consumers.get(grad) ?? 0) === 0) producer.output = producer.output.map((o) => (o === grad ? out : o));
    else tail.set(grad, [...(tail.get(grad) ?? []), nodeProto('Identity', [grad], [out], e.fresh(`${out}/identity`))]);
  }

  const shapes = new Map(options.trainable.map((name) => [name, facts.info(name).shape]));
  const inputs = new Map<string, ValueInfo>();
  for (const i of g.input) {
    const name = i.name ?? '';
    if (!graph.initializers.has(name)) inputs.set(name, facts.info(name));
  }
  // 16-bit parameters: fed as stored, widened for the forward nodes (under their own name) and,
  // from a second input, for the gradient nodes
  const parameterNames = new Map<string, string[]>();
  const forwardWidening = new Map<string, NodeProto[]>();
  const backwardWidening = new Map<string, NodeProto[]>();
  for (const name of options.trainable) {
    const dtype = dtypeOf(name);
    if (dtype === 'float32') {
      parameterNames.set(name, [name]);
      continue;
    }
    const stored = e.fresh(`${name}:stored`);
    forwardWidening.set(name, widenNodes(stored, name, dtype, fresh));
    parameterNames.set(name, [stored]);
    if (!e.nodes.some((n) => n.input.includes(name))) continue;
    const backward = e.fresh(`${name}:backward`);
    for (const n of e.nodes) n.input = n.input.map((x) => (x === name ? backward : x));
    if (dtype === 'bfloat16') {
      backwardWidening.set(backward, widenBitsNodes(stored, backward, e.scalar(16, ElemType.UINT32), fresh));
      continue;
    }
    const storedBackward = e.fresh(`${name}:stored:backward`);
    backwardWidening.set(backward, widenNodes(storedBackward, backward, dtype, fresh));
    parameterNames.get(name)!.push(storedBackward);
  }
  const parameterInputs = options.trainable.flatMap((name) => parameterNames.get(name)!.map((input) => typed(input, { ...facts.info(name), dtype: FEED_ELEM[dtypeOf(name)] })));
  const dataInputs = [...inputs].map(([name, info]) => typed(name, info));
  const initializers: TensorProto[] = g.initializer.filter((t) => !trainable.has(t.name ?? ''));
  const opsetImport = [...proto.opsetImport.filter((o) => (o.domain ?? '') !== '' && o.domain !== 'ai.onnx'), { domain: '', version: trainingOpset }];
  const encode = (name: string, nodes: NodeProto[], extraInputs: ValueInfoProto[], outputs: ValueInfoProto[], extraInitializers: TensorProto[], inputsOf = (p: string) => parameterNames.get(p)!): Uint8Array => {
    const wanted = new Set(options.trainable.flatMap(inputsOf));
    const all: ModelProto = {
      ...proto,
      irVersion: Math.max(proto.irVersion ?? 0, bitcast ? 11 : 8),
      opsetImport,
      graph: {
        ...g,
        name,
        node: prune(nodes, outputs.map((o) => o.name!)),
        input: [...dataInputs, ...parameterInputs.filter((i) => wanted.has(i.name!)), ...extraInputs],
        output: outputs,
        initializer: [...initializers, ...extraInitializers],
        valueInfo: [],
      },
    };
    return encodeModelProto(all);
  };
  const lossOutput = typed(loss, lossInfo);
  const training = encode(
    `${g.name ?? 'model'}_training`,
    afterDefinition([...beforeFirstUse(forward, forwardWidening), ...beforeFirstUse(e.nodes, backwardWidening)], tail),
    [...accumulators].map(([name, acc]) => typed(acc, { ...facts.info(name), dtype: FEED_ELEM[accDtypeOf(name)] })),
    [lossOutput, ...[...gradOutputs].map(([name, out]) => typed(out, { ...facts.info(name), dtype: FEED_ELEM[options.accumulate ? accDtypeOf(name) : 'float32'] }))],
    e.initializers,
  );
  const evaluationNodes = graph.nodes.map((n) => ({ ...n.proto, input: withoutTrailingGaps(n.proto.input) }));
  const evaluation = encode(
    `${g.name ?? 'model'}_evaluation`,
    beforeFirstUse(evaluationNodes, forwardWidening),
    [],
    [lossOutput],
    [],
    (name) => parameterNames.get(name)!.slice(0, 1),
  );
  return { training, evaluation, loss, grads: gradOutputs, accumulators, parameterInputs: parameterNames, inputs, shapes };
}
