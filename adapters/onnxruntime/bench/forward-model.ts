/**
 * nanoGPT's forward graph and loss as the benchmark's forward builder emits them, turned into a
 * model whose parameters are initializers (what `createOnnxTrainer` trains): its inputs are the
 * token one-hots `x_onehot`, `y_onehot` `[B·T, V]`, its output the mean cross-entropy `loss`.
 */
import { decodeModelProto, encodeModelProto } from '../src/onnx/schema.js';
import { floatTensor } from '../src/onnx/tensor-data.js';
import { OnnxModel } from '../src/index.js';
import { dimsOf, emitForward, emitLoss } from '../../../models/gpt/src/onnxruntime/forward.js';
import { GraphBuilder } from '../../../models/gpt/src/onnxruntime/graph.js';
import { paramSpecs, type GPTConfig } from '../../../models/gpt/src/config.js';

export function builtForwardModel(cfg: GPTConfig, B: number, init: ReadonlyMap<string, Float32Array>): OnnxModel {
  const g = new GraphBuilder(`nanogpt_forward_${B}x${cfg.blockSize}`);
  const specs = paramSpecs(cfg);
  const saved = emitForward(g, cfg, new Map(specs.map((s) => [s.name, s.shape])), dimsOf(cfg, B, cfg.blockSize));
  const { loss } = emitLoss(g, saved);
  g.output(loss, 'loss', []);
  const proto = decodeModelProto(g.encode());
  const graph = proto.graph!;
  const names = new Set(specs.map((s) => s.name));
  graph.input = graph.input.filter((i) => !names.has(i.name ?? ''));
  graph.initializer.push(...specs.map((s) => floatTensor(s.name, s.shape, init.get(s.name)!)));
  return OnnxModel.fromBytes(encodeModelProto(proto));
}
