// The three ONNX graphs the onnxruntime backend runs, each built once per (kind, batch size):
// `train` (loss and every gradient), `loss` (loss only) and `logits` (one sequence's logits).

import { paramSpecs, type GPTConfig } from '../config.js';
import { emitBackward } from './backward.js';
import { dimsOf, emitForward, emitLoss } from './forward.js';
import { GraphBuilder } from './graph.js';

/**
 * Which graph: training step, training step accumulating into gradient buffers (`grad = acc + ∂L`),
 * evaluation loss, or logits for sampling.
 */
export type GraphKind = 'train' | 'train-accumulate' | 'loss' | 'logits';

/** Name of the gradient output of parameter `name`. */
export function gradOutput(name: string): string {
  return `grad:${name}`;
}

/** Name of the accumulation input of parameter `name` (`train-accumulate`). */
export function accInput(name: string): string {
  return `acc:${name}`;
}

/** Output names of the graphs. */
export const LOSS_OUTPUT = 'loss';
export const LOGITS_OUTPUT = 'logits';

/**
 * Builds the serialized ONNX model of `kind` for `B` sequences of `T` tokens. Inputs: `x_onehot [B·T, V]`,
 * `y_onehot [B·T, V]` (not for `logits`), every parameter by its nanoGPT name, and for
 * `train-accumulate` an `acc:<name>` buffer per parameter. Outputs: `loss` (a scalar), `grad:<name>`
 * for every parameter (`train`: ∂L; `train-accumulate`: `acc + ∂L`), or `logits [B·T, V]`.
 */
export function buildGptModel(cfg: GPTConfig, kind: GraphKind, B: number, T: number): Uint8Array {
  const g = new GraphBuilder(`nanogpt_${kind}_${B}x${T}`);
  const specs = paramSpecs(cfg);
  const d = dimsOf(cfg, B, T);
  const saved = emitForward(g, cfg, new Map(specs.map((s) => [s.name, s.shape])), d);
  if (kind === 'logits') {
    g.output(saved.logits, LOGITS_OUTPUT, [d.N, d.V]);
    return g.encode();
  }
  const { loss, logp, yOneHot } = emitLoss(g, saved);
  g.output(loss, LOSS_OUTPUT, []);
  if (kind === 'train' || kind === 'train-accumulate') {
    const grads = emitBackward(g, saved, logp, yOneHot);
    for (const s of specs) {
      const grad = grads.get(s.name)!;
      g.output(kind === 'train' ? grad : g.add(g.input(accInput(s.name), s.shape), grad), gradOutput(s.name), s.shape);
    }
  }
  return g.encode();
}
