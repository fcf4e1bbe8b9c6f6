// nanoGPT's GPT forward pass as ONNX ops. Activations are 2-D `[N = B·T, C]` so every linear layer is
// one Gemm with `transB` (weights are `[out, in]`); attention works on `[B, H, T, hs]`. Everything
// the backward pass needs is returned in {@link Saved}.

import { LN_F, WPE, WTE, layerNames, type GPTConfig } from '../config.js';
import type { GraphBuilder, Value } from './graph.js';

/** torch's LayerNorm epsilon (as the reference). */
const LN_EPS = 1e-5;
/** Added to attention scores above the diagonal (exp underflows to exactly 0 in float32). */
const MASKED = -1e9;

/** Static sizes of one graph. */
export interface Dims {
  readonly B: number;
  readonly T: number;
  readonly C: number;
  readonly H: number;
  readonly hs: number;
  readonly V: number;
  readonly N: number;
  readonly L: number;
}

/** Sizes for `B` sequences of `T` tokens. */
export function dimsOf(cfg: GPTConfig, B: number, T: number): Dims {
  return { B, T, C: cfg.nEmbd, H: cfg.nHead, hs: cfg.nEmbd / cfg.nHead, V: cfg.vocabSize, N: B * T, L: cfg.nLayer };
}

/** A LayerNorm's saved values: output, normalized input `x̂ [N, C]`, `rstd [N, 1]`, gain. */
export interface SavedLayerNorm {
  readonly out: Value;
  readonly xhat: Value;
  readonly rstd: Value;
  readonly g: Value;
}

/** One block's saved activations. */
export interface SavedLayer {
  readonly ln1: SavedLayerNorm;
  /** `q·(1/√hs)` as `[B, H, T, hs]`. */
  readonly qs: Value;
  /** `kᵀ` as `[B, H, hs, T]`. */
  readonly kT: Value;
  /** `v` as `[B, H, T, hs]`. */
  readonly v: Value;
  /** Attention probabilities `[B, H, T, T]`. */
  readonly P: Value;
  /** Attention output before `c_proj`, `[N, C]`. */
  readonly y: Value;
  readonly ln2: SavedLayerNorm;
  /**
   * MLP pre-activation `h [N, 4C]`, `h/√2`, and twice Φ(h) and the GELU output: `2Φ(h) = 1 + erf(h/√2)`,
   * `2·gelu(h) = h·2Φ(h)`. The factors ½ go into the GEMMs that use them (α = ½), which saves a pass.
   */
  readonly hpre: Value;
  readonly hs: Value;
  readonly cdf2: Value;
  readonly act2: Value;
}

/** What the forward graph leaves for the backward graph. */
export interface Saved {
  readonly dims: Dims;
  /** Token one-hots `[N, V]` (a graph input). */
  readonly xOneHot: Value;
  readonly layers: readonly SavedLayer[];
  readonly lnF: SavedLayerNorm;
  /** Logits `[N, V]`. */
  readonly logits: Value;
  /** Parameter inputs by name. */
  readonly params: ReadonlyMap<string, Value>;
}

/**
 * LayerNorm without bias over the last axis: onnxruntime's LayerNormalization (keeping mean and
 * `1/σ`), plus `x̂ = (x − mean)·rstd` for the backward pass.
 */
function layerNorm(g: GraphBuilder, x: Value, gain: Value): SavedLayerNorm {
  const [out, mean, rstd] = g.opN('LayerNormalization', [x, gain], 3, { axis: { int: -1 }, epsilon: { float: LN_EPS } }) as [Value, Value, Value];
  const xhat = g.mul(g.sub(x, mean), rstd);
  return { out, xhat, rstd, g: gain };
}

/** `[N, C]` → `[B, H, T, hs]` (or `[B, H, hs, T]` with `keysT`). */
export function splitHeads(g: GraphBuilder, x: Value, d: Dims, keysT = false): Value {
  return g.transpose(g.reshape(x, [d.B, d.T, d.H, d.hs]), keysT ? [0, 2, 3, 1] : [0, 2, 1, 3]);
}

/** `[B, H, T, hs]` → `[N, C]`. */
export function mergeHeads(g: GraphBuilder, x: Value, d: Dims): Value {
  return g.reshape(g.transpose(x, [0, 2, 1, 3]), [d.N, d.C]);
}

/** Causal mask `[T, T]`: 0 on and below the diagonal, a large negative number above. */
function causalMask(g: GraphBuilder, T: number): Value {
  const m = new Array<number>(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) m[i * T + j] = j > i ? MASKED : 0;
  return g.floats(`mask${T}`, [T, T], m);
}

/**
 * Declares the inputs (token one-hots `x [N, V]` and every parameter) and emits the forward pass up
 * to the logits `[N, V]`.
 */
export function emitForward(g: GraphBuilder, cfg: GPTConfig, paramShapes: ReadonlyMap<string, readonly number[]>, d: Dims): Saved {
  const xOneHot = g.input('x_onehot', [d.N, d.V]);
  const params = new Map<string, Value>();
  for (const [name, shape] of paramShapes) params.set(name, g.input(name, shape));
  const p = (name: string): Value => {
    const v = params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  };

  // Embeddings: one-hot · wte (V is small), plus wpe broadcast over the batch.
  const tok = g.matmul(xOneHot, p(WTE));
  let wpe = p(WPE);
  if (d.T !== cfg.blockSize) wpe = g.op1('Slice', [wpe, g.ints([0]), g.ints([d.T]), g.ints([0])]);
  let x = g.reshape(g.add(g.reshape(tok, [d.B, d.T, d.C]), wpe), [d.N, d.C]);

  const mask = causalMask(g, d.T);
  const scale = g.scalar(1 / Math.sqrt(d.hs));
  const invSqrt2 = g.scalar(Math.SQRT1_2);
  const one = g.scalar(1);
  const layers: SavedLayer[] = [];
  for (let l = 0; l < d.L; l++) {
    const n = layerNames(l);
    // attention
    const ln1 = layerNorm(g, x, p(n.ln1));
    const qkv = g.gemm(ln1.out, p(n.attn), false, true);
    const [q, k, v] = g.opN('Split', [qkv], 3, { axis: { int: 1 } }) as [Value, Value, Value];
    const qs = g.mul(splitHeads(g, q, d), scale);
    const kT = splitHeads(g, k, d, true);
    const vh = splitHeads(g, v, d);
    const P = g.op1('Softmax', [g.add(g.matmul(qs, kT), mask)], { axis: { int: -1 } });
    const y = mergeHeads(g, g.matmul(P, vh), d);
    const xmid = g.add(x, g.gemm(y, p(n.attnProj), false, true));
    // MLP
    const ln2 = layerNorm(g, xmid, p(n.ln2));
    const hpre = g.gemm(ln2.out, p(n.fc), false, true);
    const hs = g.mul(hpre, invSqrt2);
    const cdf2 = g.add(g.op1('Erf', [hs]), one);
    const act2 = g.mul(hpre, cdf2);
    x = g.add(xmid, g.gemm(act2, p(n.mlpProj), false, true, 0.5));
    layers.push({ ln1, qs, kT, v: vh, P, y, ln2, hpre, hs, cdf2, act2 });
  }
  const lnF = layerNorm(g, x, p(LN_F));
  const logits = g.gemm(lnF.out, p(WTE), false, true);
  return { dims: d, xOneHot, layers, lnF, logits, params };
}

/**
 * Mean cross-entropy of `logits` against target one-hots `y [N, V]` (a new graph input): returns the
 * scalar loss and `log softmax`.
 */
export function emitLoss(g: GraphBuilder, saved: Saved): { loss: Value; logp: Value; yOneHot: Value } {
  const { N, V } = saved.dims;
  const yOneHot = g.input('y_onehot', [N, V]);
  const logp = g.op1('LogSoftmax', [saved.logits], { axis: { int: -1 } });
  const loss = g.mul(g.reduceSum(g.mul(logp, yOneHot), [0, 1], false), g.scalar(-1 / N));
  return { loss, logp, yOneHot };
}
