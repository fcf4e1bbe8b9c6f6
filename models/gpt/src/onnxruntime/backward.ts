// The GPT backward pass as ONNX ops, derived by hand from the forward graph in ./forward.ts (the
// same math as the reference model's backward.ts): cross-entropy → tied lm_head → ln_f → blocks in
// reverse (MLP, then attention) → embeddings.

import { LN_F, WPE, WTE, layerNames } from '../config.js';
import { mergeHeads, splitHeads, type Saved, type SavedLayerNorm } from './forward.js';
import type { GraphBuilder, Value } from './graph.js';

/**
 * Backward of a bias-free LayerNorm: returns `∂L/∂x` and `∂L/∂g` from `dout [N, C]`.
 * `dx = rstd·(d̂ − mean(d̂) − x̂·mean(d̂·x̂))` with `d̂ = dout·g`; `dg = Σ_rows dout·x̂`.
 */
function layerNormBackward(g: GraphBuilder, dout: Value, s: SavedLayerNorm): { dx: Value; dg: Value } {
  const dg = g.reduceSum(g.mul(dout, s.xhat), [0], false);
  const dhat = g.mul(dout, s.g);
  const m1 = g.reduceMean(dhat, [-1], true);
  const m2 = g.reduceMean(g.mul(dhat, s.xhat), [-1], true);
  const dx = g.mul(g.sub(g.sub(dhat, m1), g.mul(s.xhat, m2)), s.rstd);
  return { dx, dg };
}

/**
 * Emits the gradients of the mean cross-entropy with respect to every parameter, given the forward
 * graph's saved values, `log softmax` and the target one-hots. Returns them by parameter name.
 */
export function emitBackward(g: GraphBuilder, saved: Saved, logp: Value, yOneHot: Value): Map<string, Value> {
  const d = saved.dims;
  const grads = new Map<string, Value>();
  const p = (name: string): Value => saved.params.get(name)!;

  // Cross-entropy: ∂L/∂logits = (softmax − onehot)/N.
  const dlogits = g.mul(g.sub(g.op1('Exp', [logp]), yOneHot), g.scalar(1 / d.N));
  // Tied lm_head: logits = ln_f · wteᵀ.
  const dwteHead = g.gemm(dlogits, saved.lnF.out, true, false);
  const lnF = layerNormBackward(g, g.gemm(dlogits, p(WTE)), saved.lnF);
  grads.set(LN_F, lnF.dg);
  let dx = lnF.dx;

  const scale = g.scalar(1 / Math.sqrt(d.hs));
  const sqrt2OverPi = g.scalar(Math.sqrt(2 / Math.PI));
  for (let l = d.L - 1; l >= 0; l--) {
    const n = layerNames(l);
    const s = saved.layers[l]!;
    // MLP: x_out = x_mid + gelu(ln2 · W_fcᵀ) · W_projᵀ.
    grads.set(n.mlpProj, g.gemm(dx, s.act2, true, false, 0.5));
    const dact = g.gemm(dx, p(n.mlpProj));
    // gelu'(h) = Φ(h) + h·φ(h); twice it is 2Φ(h) + h·√(2/π) / exp(h²/2), with h²/2 = (h/√2)².
    // (exp overflows to +Inf for |h| > 13: the quotient is then 0, the limit.)
    const hpdf2 = g.op1('Div', [g.mul(s.hpre, sqrt2OverPi), g.op1('Exp', [g.mul(s.hs, s.hs)])]);
    const dh2 = g.mul(dact, g.add(s.cdf2, hpdf2));
    grads.set(n.fc, g.gemm(dh2, s.ln2.out, true, false, 0.5));
    const ln2 = layerNormBackward(g, g.gemm(dh2, p(n.fc), false, false, 0.5), s.ln2);
    grads.set(n.ln2, ln2.dg);
    const dxmid = g.add(dx, ln2.dx);

    // Attention: x_mid = x_in + attn(ln1) · W_projᵀ.
    grads.set(n.attnProj, g.gemm(dxmid, s.y, true, false));
    const dyh = splitHeads(g, g.gemm(dxmid, p(n.attnProj)), d);
    const dP = g.matmul(dyh, g.transpose(s.v, [0, 1, 3, 2]));
    const dv = g.matmul(g.transpose(s.P, [0, 1, 3, 2]), dyh);
    // Softmax backward: dS = P ⊙ (dP − Σ_s P·dP).
    const dS = g.mul(s.P, g.sub(dP, g.reduceSum(g.mul(s.P, dP), [-1], true)));
    // S = (q/√hs) · kᵀ.
    const dq = g.mul(g.matmul(dS, g.transpose(s.kT, [0, 1, 3, 2])), scale);
    const dk = g.matmul(g.transpose(dS, [0, 1, 3, 2]), s.qs);
    const dqkv = g.op1('Concat', [mergeHeads(g, dq, d), mergeHeads(g, dk, d), mergeHeads(g, dv, d)], { axis: { int: 1 } });
    grads.set(n.attn, g.gemm(dqkv, s.ln1.out, true, false));
    const ln1 = layerNormBackward(g, g.gemm(dqkv, p(n.attn)), s.ln1);
    grads.set(n.ln1, ln1.dg);
    dx = g.add(dxmid, ln1.dx);
  }

  // Embeddings: x0 = onehot · wte + wpe (broadcast over the batch).
  grads.set(WTE, g.add(dwteHead, g.gemm(saved.xOneHot, dx, true, false)));
  grads.set(WPE, g.reduceSum(g.reshape(dx, [d.B, d.T, d.C]), [0], false));
  return grads;
}
