import { LN_F, WPE, WTE, layerNames } from '../config.js';
import { attentionBackward } from './kernels/attention.js';
import { geluBackward } from './kernels/gelu.js';
import { gemm } from './kernels/gemm.js';
import { layerNormBackward } from './kernels/layernorm.js';
import type { FloatArray } from './kernels/types.js';
import { param, type ParamArrays } from './forward.js';
import type { Workspace } from './workspace.js';

/**
 * Backward pass after {@link forwardLoss} with `grad = true` (∂L/∂logits in `ws.logits`): writes
 * every parameter's gradient into `grads` (overwritten, same names as the parameters).
 */
export function backward(params: ParamArrays, grads: ReadonlyMap<string, FloatArray>, x: Int32Array, B: number, ws: Workspace): void {
  const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L, blockSize: T } = ws.cfg;
  const N = B * T;
  const wte = param(params, WTE);
  const dwte = param(grads, WTE);
  const dl = ws.logits;
  const dx = ws.dResid; // ∂L/∂(residual stream), carried down through the layers
  const dtmp = ws.dTmp;

  // tied head: logits = ln_f(x)·wteᵀ
  gemm(V, C, N, dl, true, ws.lnF, false, dwte, false);
  gemm(N, C, V, dl, false, wte, false, dtmp, false);
  const dlnf = param(grads, LN_F);
  dlnf.fill(0);
  dx.fill(0, 0, N * C);
  layerNormBackward(dtmp, param(params, LN_F), ws.xhatF, ws.rstdF, N, C, dx, dlnf);

  for (let l = L - 1; l >= 0; l--) {
    const names = layerNames(l);
    const acts = ws.layers[l]!;
    // MLP: xout = xmid + act·Wprojᵀ, act = gelu(ln2·Wfcᵀ)
    gemm(C, 4 * C, N, dx, true, acts.act, false, param(grads, names.mlpProj), false);
    gemm(N, 4 * C, C, dx, false, param(params, names.mlpProj), false, ws.dHidden, false);
    geluBackward(ws.dHidden, acts.hpre, acts.cdf, N * 4 * C, ws.dHidden);
    gemm(4 * C, C, N, ws.dHidden, true, acts.ln2, false, param(grads, names.fc), false);
    gemm(N, C, 4 * C, ws.dHidden, false, param(params, names.fc), false, dtmp, false);
    const dln2 = param(grads, names.ln2);
    dln2.fill(0);
    layerNormBackward(dtmp, param(params, names.ln2), acts.xhat2, acts.rstd2, N, C, dx, dln2);
    // attention: xmid = xin + y·Wprojᵀ, y = attn(ln1·Wattnᵀ)
    gemm(C, C, N, dx, true, acts.y, false, param(grads, names.attnProj), false);
    gemm(N, C, C, dx, false, param(params, names.attnProj), false, dtmp, false);
    attentionBackward(dtmp, acts.qkv, acts.P, { B, T, C, H }, ws.dqkv, ws.dP);
    gemm(3 * C, C, N, ws.dqkv, true, acts.ln1, false, param(grads, names.attn), false);
    gemm(N, C, 3 * C, ws.dqkv, false, param(params, names.attn), false, dtmp, false);
    const dln1 = param(grads, names.ln1);
    dln1.fill(0);
    layerNormBackward(dtmp, param(params, names.ln1), acts.xhat1, acts.rstd1, N, C, dx, dln1);
  }

  // embeddings: x0 = wte[idx] + wpe[t]
  const dwpe = param(grads, WPE);
  dwpe.fill(0);
  for (let n = 0; n < N; n++) {
    const tok = x[n]!;
    const t = n % T;
    for (let i = 0; i < C; i++) {
      const g = dx[n * C + i]!;
      dwte[tok * C + i]! += g;
      dwpe[t * C + i]! += g;
    }
  }
}
