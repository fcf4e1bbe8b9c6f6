// The training graph of a model: its forward pass (with the appended loss), the gradient nodes,
// the trainable initializers turned into inputs (fed from the optimizer's tensors each step), and
// as outputs the loss and one gradient per trainable initializer — or, to accumulate into gradient
// buffers (ScionLight), `acc + ∂L` for an `acc` input each. Also the forward-only evaluation graph.
// Internal.

import type * as ort from 'onnxruntime-common';
import { encodeModelProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/schema.js';
import { nodeProto } from './attributes.js';
import { differentiate, prune, withoutTrailingGaps } from './differentiate.js';
import { trainingError } from './errors.js';
import { probeFacts, type ProbeRun, type ValueFacts, type ValueInfo } from './facts.js';
import { Graph } from './graph.js';
import { withLoss, type LossSpec } from './loss.js';
import type { OnnxModel } from './model.js';
import { OPSETS } from './rules/index.js';

export interface TrainingGraphOptions {
  readonly trainable: readonly string[];
  readonly loss: LossSpec;
  /** Take an `acc` input per trainable initializer and output `acc + ∂L` instead of `∂L`. */
  readonly accumulate: boolean;
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
  /** The inputs a step feeds (the model's data inputs and the appended loss's labels or targets). */
  readonly inputs: ReadonlyMap<string, ValueInfo>;
  /** Trainable initializer → its shape. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

function typed(name: string, info: ValueInfo): ValueInfoProto {
  return { name, type: { tensorType: { elemType: info.dtype, shape: { dim: info.shape.map((d) => ({ dimValue: d })) } } } };
}

/** Checks the opset, probes the model, appends the loss and emits the gradients. */
export async function buildTrainingGraph(model: OnnxModel, options: TrainingGraphOptions, run: ProbeRun, Tensor: typeof ort.Tensor): Promise<TrainingGraph> {
  const opset = model.opset;
  if (opset < OPSETS.min || opset > OPSETS.max) {
    throw trainingError('BACKEND', `the model uses opset ${opset}; training supports opsets ${OPSETS.min}–${OPSETS.max} (torch.onnx.export(..., opset_version=17))`);
  }
  const trainable = new Set(options.trainable);
  const facts: ValueFacts = await probeFacts(model.proto, model.graph, (name) => !trainable.has(name), run, Tensor);
  const { model: proto, loss } = withLoss(model.proto, model.graph, facts, options.loss);
  const graph = new Graph(proto);
  const g = proto.graph!;
  const lossInfo = facts.info(loss);
  const { forward, emitter: e, grads, opset: trainingOpset } = differentiate(graph, facts, options.trainable, (em) => [[loss, em.constant(lossInfo.dtype, lossInfo.shape, [1])]]);
  const consumers = new Map<string, number>();
  for (const n of [...forward, ...e.nodes]) for (const x of n.input) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  const gradOutputs = new Map<string, string>();
  const accumulators = new Map<string, string>();
  const tail: NodeProto[] = [];
  for (const [name, grad] of grads) {
    const out = e.fresh(`grad:${name}`);
    gradOutputs.set(name, out);
    if (options.accumulate) {
      const acc = e.fresh(`acc:${name}`);
      accumulators.set(name, acc);
      tail.push(nodeProto('Add', [acc, grad], [out], e.fresh(`${out}/accumulate`)));
      continue;
    }
    // Rename the node computing the gradient when nothing else reads it; else copy it out.
    const producer = e.nodes.find((n) => n.output.includes(grad));
    if (producer !== undefined && (consumers.get(grad) ?? 0) === 0) producer.output = producer.output.map((o) => (o === grad ? out : o));
    else tail.push(nodeProto('Identity', [grad], [out], e.fresh(`${out}/identity`)));
  }

  const shapes = new Map(options.trainable.map((name) => [name, facts.info(name).shape]));
  const inputs = new Map<string, ValueInfo>();
  for (const i of g.input) {
    const name = i.name ?? '';
    if (!graph.initializers.has(name)) inputs.set(name, facts.info(name));
  }
  const parameterInputs = options.trainable.map((name) => typed(name, facts.info(name)));
  const dataInputs = [...inputs].map(([name, info]) => typed(name, info));
  const initializers: TensorProto[] = g.initializer.filter((t) => !trainable.has(t.name ?? ''));
  const opsetImport = [...proto.opsetImport.filter((o) => (o.domain ?? '') !== '' && o.domain !== 'ai.onnx'), { domain: '', version: trainingOpset }];
  const encode = (name: string, nodes: NodeProto[], extraInputs: ValueInfoProto[], outputs: ValueInfoProto[], extraInitializers: TensorProto[]): Uint8Array => {
    const all: ModelProto = {
      ...proto,
      irVersion: Math.max(proto.irVersion ?? 0, 8),
      opsetImport,
      graph: {
        ...g,
        name,
        node: prune(nodes, outputs.map((o) => o.name!)),
        input: [...dataInputs, ...parameterInputs, ...extraInputs],
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
    [...forward, ...e.nodes, ...tail],
    [...accumulators].map(([name, acc]) => typed(acc, facts.info(name))),
    [lossOutput, ...[...gradOutputs].map(([name, out]) => typed(out, facts.info(name)))],
    e.initializers,
  );
  const evaluation = encode(`${g.name ?? 'model'}_evaluation`, graph.nodes.map((n) => ({ ...n.proto, input: withoutTrailingGaps(n.proto.input) })), [], [lossOutput], []);
  return { training, evaluation, loss, grads: gradOutputs, accumulators, inputs, shapes };
}
