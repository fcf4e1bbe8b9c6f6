// Softmax and log-softmax over one axis (opset 13 on: the axis alone, not a flattened 2-D view).

import type { GradientRule, RuleContext } from './rule.js';

function axisOf(ctx: RuleContext): number {
  const rank = ctx.shape(ctx.input(0)).length;
  return (ctx.node.attrs.int('axis', -1) + rank) % rank;
}

/** `∂x = y ⊙ (dY − Σ_axis dY ⊙ y)`. */
export const softmax: GradientRule = {
  op: 'Softmax',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const y = ctx.output(0);
    const dot = e.reduceSum(e.mul(dy!, y), [axisOf(ctx)], true);
    return [e.mul(y, e.sub(dy!, dot))];
  },
};

/** `∂x = dY − e^y ⊙ Σ_axis dY`. */
export const logSoftmax: GradientRule = {
  op: 'LogSoftmax',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const total = e.reduceSum(dy!, [axisOf(ctx)], true);
    return [e.sub(dy!, e.mul(e.op('Exp', [ctx.output(0)]), total))];
  },
};
