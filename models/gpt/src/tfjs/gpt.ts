import type * as tfc from '@tensorflow/tfjs-core';
import { LN_F, WPE, WTE, layerNames, type GPTConfig } from '../config.js';

type Tf = typeof tfc;
type Tensor = tfc.Tensor;

/** Parameter lookup by nanoGPT name. */
export type ParamFn = (name: string) => Tensor;

/** Constant inputs of one batch: one-hot tokens and targets, and the causal mask. */
export interface TfBatch {
  readonly xOneHot: Tensor; // [N, V]
  readonly yOneHot: Tensor; // [N, V]
  readonly B: number;
  readonly T: number;
}

/** LayerNorm over the last axis, gain only, torch's eps. */
function layerNorm(tf: Tf, x: Tensor, g: Tensor): Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  return tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, 1e-5))), g);
}

/** Exact GELU: `x·½(1 + erf(x/√2))`. */
function gelu(tf: Tf, x: Tensor): Tensor {
  return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * nanoGPT's GPT forward with tfjs ops, up to the logits `[B·T, V]`. The token embedding is a
 * one-hot matmul (its gradient is a matmul too; gather's gradient needs a kernel wasm lacks).
 * `mask` is `[T, T]`, 0 on and below the diagonal and −1e9 above it.
 */
export function logits(tf: Tf, cfg: GPTConfig, p: ParamFn, xOneHot: Tensor, B: number, T: number, mask: Tensor): Tensor {
  const { nEmbd: C, nHead: H, nLayer: L } = cfg;
  const hs = C / H;
  const N = B * T;
  const wte = p(WTE);
  const wpe = T === cfg.blockSize ? p(WPE) : tf.slice(p(WPE), [0, 0], [T, C]);
  let x = tf.reshape(tf.add(tf.reshape(tf.matMul(xOneHot, wte), [B, T, C]), wpe), [N, C]);
  const heads = (t: Tensor): Tensor => tf.transpose(tf.reshape(t, [B, T, H, hs]), [0, 2, 1, 3]);
  for (let l = 0; l < L; l++) {
    const n = layerNames(l);
    const qkv = tf.matMul(layerNorm(tf, x, p(n.ln1)), p(n.attn), false, true);
    const [q, k, v] = tf.split(qkv, 3, 1) as [Tensor, Tensor, Tensor];
    const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hs)), mask);
    const att = tf.softmax(scores);
    const y = tf.reshape(tf.transpose(tf.matMul(att, heads(v)), [0, 2, 1, 3]), [N, C]);
    x = tf.add(x, tf.matMul(y, p(n.attnProj), false, true));
    const hidden = gelu(tf, tf.matMul(layerNorm(tf, x, p(n.ln2)), p(n.fc), false, true));
    x = tf.add(x, tf.matMul(hidden, p(n.mlpProj), false, true));
  }
  return tf.matMul(layerNorm(tf, x, p(LN_F)), wte, false, true);
}

/** Mean cross-entropy, as a scalar. */
export function lossOf(tf: Tf, cfg: GPTConfig, p: ParamFn, batch: TfBatch, mask: Tensor): tfc.Scalar {
  const z = logits(tf, cfg, p, batch.xOneHot, batch.B, batch.T, mask);
  // log p(target) = z_target − logsumexp(z): picked with the one-hot targets
  const picked = tf.sum(tf.mul(batch.yOneHot, z), 1);
  return tf.mean(tf.sub(tf.logSumExp(z, 1), picked)) as tfc.Scalar;
}

/** The `[T, T]` additive causal mask. */
export function causalMask(tf: Tf, T: number): Tensor {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return tf.tensor2d(m, [T, T]);
}

/**
 * `[n, V]` float32 one-hot rows of token ids. (tfjs-backend-wasm 4.22's OneHot writes integer bit
 * patterns when asked for float32 directly, so the int32 result is cast.)
 */
export function oneHot(tf: Tf, ids: Int32Array, V: number): Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), V), 'float32'));
}
