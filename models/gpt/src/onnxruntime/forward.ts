// nanoGPT's GPT forward pass as an ONNX graph, written with `@lmo/onnxruntime/onnx`'s GraphBuilder.
// Activations are 2-D `[N = B·T, C]`, so every linear layer is one Gemm with `transB` (weights are
// `[out, in]`); attention works on `[B, H, T, hs]`. Tokens come in as one-hot rows `[N, V]` (the
// embedding lookup is a GEMM, and so is its gradient). The backward pass is not written here:
// `createOnnxTrainer` differentiates this graph.

import { GraphBuilder, type Value } from '@lmo/onnxruntime/onnx';
import { LN_F, WPE, WTE, layerNames, paramSpecs, type GPTConfig } from '../config.js';
import type { ParamMap } from '../model.js';

/** torch's LayerNorm epsilon (as the reference). */
const LN_EPS = 1e-5;
/** Added to attention scores above the diagonal (exp underflows to exactly 0 in float32). */
const MASKED = -1e9;

/** The model's input names: token one-hots `[B·T, V]`, and the targets' one-hots for the loss. */
export const TOKENS = 'x_onehot';
export const TARGETS = 'y_onehot';
/** The model's output names. */
export const LOSS = 'loss';
export const LOGITS = 'logits';

/** Static sizes of one graph. */
interface Dims {
  readonly B: number;
  readonly T: number;
  readonly C: number;
  readonly H: number;
  readonly hs: number;
  readonly V: number;
  readonly N: number;
}

/** `[N, C]` → `[B, H, T, hs]` (or `[B, H, hs, T]` with `keysT`). */
function splitHeads(g: GraphBuilder, x: Value, d: Dims, keysT = false): Value {
  return g.transpose(g.reshape(x, [d.B, d.T, d.H, d.hs]), keysT ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/** `[B, H, T, hs]` → `[N, C]`. */
function mergeHeads(g: GraphBuilder, x: Value, d: Dims): Value {
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [d.N, d.C]);
}

/** LayerNorm without bias over the last axis (onnxruntime's LayerNormalization). */
function layerNorm(g: GraphBuilder, x: Value, gain: Value): Value {
  return g.op1('LayerNormalization', [x, gain], { axis: { int: -1 }, epsilon: { float: LN_EPS } });
}

/** The logits `[N, V]` of the token one-hots `x` for `B` sequences of `T` tokens. */
function emitLogits(g: GraphBuilder, cfg: GPTConfig, p: (name: string) => Value, x: Value, d: Dims): Value {
  // Embeddings: one-hot · wte (V is small), plus wpe broadcast over the batch.
  const tok = g.matmul(x, p(WTE));
  let wpe = p(WPE);
  if (d.T !== cfg.blockSize) wpe = g.op1('Slice', [wpe, g.ints([0]), g.ints([d.T]), g.ints([0])]);
  let h = g.reshape(g.add(g.reshape(tok, [d.B, d.T, d.C]), wpe), [d.N, d.C]);
  const mask = new Array<number>(d.T * d.T);
  for (let i = 0; i < d.T; i++) for (let j = 0; j < d.T; j++) mask[i * d.T + j] = j > i ? MASKED : 0;
  const causal = g.floats(`mask${d.T}`, [d.T, d.T], mask);
  const scale = g.scalar(1 / Math.sqrt(d.hs));
  const invSqrt2 = g.scalar(Math.SQRT1_2);
  const one = g.scalar(1);
  for (let l = 0; l < cfg.nLayer; l++) {
    const n = layerNames(l);
    // attention
    const qkv = g.gemm(layerNorm(g, h, p(n.ln1)), p(n.attn), false, true);
    const [q, k, v] = g.opN('Split', [qkv], 3, { axis: { int: 1 } }) as [Value, Value, Value];
    const scores = g.add(g.matmul(g.mul(splitHeads(g, q, d), scale), splitHeads(g, k, d, true)), causal);
    const P = g.op1('Softmax', [scores], { axis: { int: -1 } });
    const y = mergeHeads(g, g.matmul(P, splitHeads(g, v, d)), d);
    const mid = g.add(h, g.gemm(y, p(n.attnProj), false, true));
    // MLP with the exact GELU, x·½(1 + erf(x/√2)): the ½ goes into the projection's GEMM (α = ½)
    const pre = g.gemm(layerNorm(g, mid, p(n.ln2)), p(n.fc), false, true);
    const act2 = g.mul(pre, g.add(g.op1('Erf', [g.mul(pre, invSqrt2)]), one));
    h = g.add(mid, g.gemm(act2, p(n.mlpProj), false, true, 0.5));
  }
  return g.gemm(layerNorm(g, h, p(LN_F)), p(WTE), false, true); // the head is tied to wte
}

/**
 * The forward model for `B` sequences of `T` tokens: input `x_onehot [B·T, V]` and output `logits`
 * `[B·T, V]`; with `loss`, also input `y_onehot [B·T, V]` and output `loss`, the mean
 * cross-entropy (a scalar). With `weights` the parameters are initializers holding them (what
 * `createOnnxTrainer` trains); without, they are inputs, fed each run.
 */
export function gptForwardModel(cfg: GPTConfig, B: number, T: number, output: 'loss' | 'logits', weights?: ParamMap<Float32Array>): Uint8Array {
  const g = new GraphBuilder(`nanogpt_${output}_${B}x${T}`);
  const d: Dims = { B, T, C: cfg.nEmbd, H: cfg.nHead, hs: cfg.nEmbd / cfg.nHead, V: cfg.vocabSize, N: B * T };
  const x = g.input(TOKENS, [d.N, d.V]);
  const params = new Map<string, Value>();
  for (const s of paramSpecs(cfg)) {
    const w = weights?.get(s.name);
    if (weights !== undefined && w === undefined) throw new Error(`missing initial value for ${s.name}`);
    params.set(s.name, w === undefined ? g.input(s.name, s.shape) : g.initializer(s.name, s.shape, w));
  }
  const logits = emitLogits(g, cfg, (name) => params.get(name)!, x, d);
  if (output === 'logits') {
    g.output(logits, LOGITS, [d.N, d.V]);
  } else {
    // mean cross-entropy against the targets' one-hots: −Σ y·log softmax(z) / N
    const y = g.input(TARGETS, [d.N, d.V]);
    const logp = g.op1('LogSoftmax', [logits], { axis: { int: -1 } });
    g.output(g.mul(g.reduceSum(g.mul(logp, y), [0, 1], false), g.scalar(-1 / d.N)), LOSS, []);
  }
  return g.encode();
}
