// Normalizations. With x̂ = (x − μ)·r, r = 1/√(σ² + ε), y = γ·x̂ + β over the normalized axes
// (m elements each): ∂γ = Σ dY·x̂, ∂β = Σ dY, and, when μ and σ² are the statistics of x itself,
// ∂x = r·(d̂ − mean(d̂) − x̂·mean(d̂·x̂)) with d̂ = γ·dY.

import { Unsupported } from '../errors.js';
import type { GradientRule, RuleContext } from './rule.js';

/** `r·(d̂ − mean(d̂) − x̂·mean(d̂·x̂))` over `axes`. */
function normalizedGrad(ctx: RuleContext, dhat: string, xhat: string, r: string, axes: readonly number[]): string {
  const { e } = ctx;
  const m1 = e.reduceMean(dhat, axes, true);
  const m2 = e.reduceMean(e.mul(dhat, xhat), axes, true);
  return e.mul(e.sub(e.sub(dhat, m1), e.mul(xhat, m2)), r);
}

/**
 * LayerNormalization (opset 17): the mean and `1/σ` are the node's optional outputs, added to it
 * when the model left them out, so nothing is recomputed.
 */
export const layerNormalization: GradientRule = {
  op: 'LayerNormalization',
  backward: (ctx, dys) => {
    if (dys[1] !== undefined || dys[2] !== undefined) throw new Unsupported('a gradient through its Mean or InvStdDev output');
    const { e } = ctx;
    const dy = dys[0]!;
    const x = ctx.input(0);
    const rank = ctx.shape(x).length;
    const axis = (ctx.node.attrs.int('axis', -1) + rank) % rank;
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const xhat = e.mul(e.sub(x, ctx.forwardOutput(1)), ctx.forwardOutput(2));
    const grads: Array<string | undefined> = [undefined, undefined, undefined];
    if (ctx.wants(0)) grads[0] = normalizedGrad(ctx, e.mul(dy, ctx.input(1)), xhat, ctx.forwardOutput(2), axes);
    if (ctx.wants(1)) grads[1] = ctx.unbroadcast(e.mul(dy, xhat), 1);
    if (ctx.wants(2)) grads[2] = ctx.unbroadcast(dy, 2);
    return grads;
  },
  covers: 'any axis; scale and bias of any broadcastable shape',
};

/**
 * BatchNormalization, channels on axis 1. Inference form (`training_mode` 0): y = γ·(x − μ)·r + β
 * with the given statistics, so `∂x = γ·r·dY` and μ, σ² have gradients too. Training form: the
 * batch's own statistics, recomputed for the backward pass (the running statistics it also outputs
 * carry no gradient).
 */
export const batchNormalization: GradientRule = {
  op: 'BatchNormalization',
  differentiable: (node) => (node.attrs.int('training_mode', 0) === 1 ? [0, 1, 2] : [0, 1, 2, 3, 4]),
  backward: (ctx, dys) => {
    if (dys[1] !== undefined || dys[2] !== undefined) throw new Unsupported('a gradient through its running statistics');
    const { e } = ctx;
    const dy = dys[0]!;
    const x = ctx.input(0);
    const shape = ctx.shape(x);
    const C = shape[1]!;
    const perChannel = [1, C, ...shape.slice(2).map(() => 1)];
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const eps = ctx.node.attrs.float('epsilon', 1e-5);
    const col = (v: string): string => e.reshape(v, [C], perChannel);
    const training = ctx.node.attrs.int('training_mode', 0) === 1;
    let mean: string;
    let variance: string;
    if (training) {
      mean = e.reduceMean(x, axes, true);
      const centered = e.sub(x, mean);
      variance = e.reduceMean(e.mul(centered, centered), axes, true);
    } else {
      mean = col(ctx.input(3));
      variance = col(ctx.input(4));
    }
    const r = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, ctx.scalar(eps))])]);
    const xhat = e.mul(e.sub(x, mean), r);
    const gamma = col(ctx.input(1));
    const dBeta = e.reduceSum(dy, axes, false);
    const dGamma = ctx.wants(1) || (!training && ctx.wants(4)) ? e.reduceSum(e.mul(dy, xhat), axes, false) : undefined;
    const grads: Array<string | undefined> = [undefined, ctx.wants(1) ? dGamma : undefined, ctx.wants(2) ? dBeta : undefined, undefined, undefined];
    if (training) {
      if (ctx.wants(0)) grads[0] = normalizedGrad(ctx, e.mul(dy, gamma), xhat, r, axes);
      return grads;
    }
    const rFlat = e.reshape(r, perChannel, [C]);
    if (ctx.wants(0)) grads[0] = e.mul(dy, e.mul(gamma, r));
    // ∂μ = −γ·r·Σ dY;  ∂σ² = −½·γ·r²·Σ dY·x̂.
    if (ctx.wants(3)) grads[3] = e.neg(e.mul(dBeta, e.mul(ctx.input(1), rFlat)));
    if (ctx.wants(4)) grads[4] = e.mul(dGamma!, e.mul(ctx.input(1), e.mul(e.mul(rFlat, rFlat), ctx.scalar(-0.5))));
    return grads;
  },
  covers: 'inference form (given statistics) and training form (batch statistics); any rank ≥ 2',
};

/**
 * InstanceNormalization (PyTorch's InstanceNorm, and GroupNorm as PyTorch exports it): each
 * `(n, c)` plane normalized by its own statistics, `y = γ_c·x̂ + β_c`; the statistics are recomputed
 * for the backward pass.
 */
export const instanceNormalization: GradientRule = {
  op: 'InstanceNormalization',
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const shape = ctx.shape(x);
    const C = shape[1]!;
    const spatial = shape.map((_, i) => i).filter((i) => i >= 2);
    const perChannel = [1, C, ...spatial.map(() => 1)];
    const mean = e.reduceMean(x, spatial, true);
    const centered = e.sub(x, mean);
    const variance = e.reduceMean(e.mul(centered, centered), spatial, true);
    const r = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, ctx.scalar(ctx.node.attrs.float('epsilon', 1e-5)))])]);
    const xhat = e.mul(centered, r);
    const batchAndSpace = [0, ...spatial];
    return [
      ctx.wants(0) ? normalizedGrad(ctx, e.mul(dy!, e.reshape(ctx.input(1), [C], perChannel)), xhat, r, spatial) : undefined,
      ctx.wants(1) ? e.reduceSum(e.mul(dy!, xhat), batchAndSpace, false) : undefined,
      ctx.wants(2) ? e.reduceSum(dy!, batchAndSpace, false) : undefined,
    ];
  },
  covers: 'any rank ≥ 3',
};
