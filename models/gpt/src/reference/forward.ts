import { LN_F, WPE, WTE, layerNames } from '../config.js';
import { attentionForward } from './kernels/attention.js';
import { crossEntropy } from './kernels/cross-entropy.js';
import { geluForward } from './kernels/gelu.js';
import { gemm } from './kernels/gemm.js';
import { layerNormForward } from './kernels/layernorm.js';
import type { FloatArray } from './kernels/types.js';
import type { Workspace } from './workspace.js';

/** Parameters by nanoGPT name. */
export type ParamArrays = ReadonlyMap<string, FloatArray>;

export function param(params: ParamArrays, name: string): FloatArray {
  const p = params.get(name);
  if (p === undefined) throw new Error(`missing parameter ${name}`);
  return p;
}

/**
 * The GPT forward pass over `x [B, T]` token ids (T ≤ block size) into `ws`, ending with the logits
 * `ws.logits [B·T, V]`. Every intermediate the backward pass needs stays in `ws`.
 */
export function forwardLogits(params: ParamArrays, x: Int32Array, B: number, T: number, ws: Workspace): void {
  const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L } = ws.cfg;
  const N = B * T;
  const wte = param(params, WTE);
  const wpe = param(params, WPE);
  const x0 = ws.resid[0]!;
  for (let n = 0; n < N; n++) {
    const tok = x[n]!;
    const t = n % T;
    for (let i = 0; i < C; i++) x0[n * C + i] = wte[tok * C + i]! + wpe[t * C + i]!;
  }
  for (let l = 0; l < L; l++) {
    const names = layerNames(l);
    const acts = ws.layers[l]!;
    const xin = ws.resid[l]!;
    const xmid = ws.mid[l]!;
    const xout = ws.resid[l + 1]!;
    // attention
    layerNormForward(xin, param(params, names.ln1), N, C, acts.ln1, acts.xhat1, acts.rstd1);
    gemm(N, 3 * C, C, acts.ln1, false, param(params, names.attn), true, acts.qkv, false);
    attentionForward(acts.qkv, { B, T, C, H }, acts.P, acts.y);
    xmid.set(xin.subarray(0, N * C));
    gemm(N, C, C, acts.y, false, param(params, names.attnProj), true, xmid, true);
    // MLP
    layerNormForward(xmid, param(params, names.ln2), N, C, acts.ln2, acts.xhat2, acts.rstd2);
    gemm(N, 4 * C, C, acts.ln2, false, param(params, names.fc), true, acts.hpre, false);
    geluForward(acts.hpre, N * 4 * C, acts.act, acts.cdf);
    xout.set(xmid.subarray(0, N * C));
    gemm(N, C, 4 * C, acts.act, false, param(params, names.mlpProj), true, xout, true);
  }
  layerNormForward(ws.resid[L]!, param(params, LN_F), N, C, ws.lnF, ws.xhatF, ws.rstdF);
  gemm(N, V, C, ws.lnF, false, wte, true, ws.logits, false);
}

/** Mean cross-entropy of a full batch (`T` = block size). With `grad`, leaves ∂L/∂logits in `ws.logits`. */
export function forwardLoss(params: ParamArrays, x: Int32Array, y: Int32Array, B: number, ws: Workspace, grad: boolean): number {
  const T = ws.cfg.blockSize;
  forwardLogits(params, x, B, T, ws);
  return crossEntropy(ws.logits, y, B * T, ws.cfg.vocabSize, grad);
}
