// More activations PyTorch exports (F.softplus, F.elu, F.hardsigmoid, F.hardswish, torch.clamp /
// hardtanh / relu6) and the trigonometric functions: `∂x = dY · f′(x)`, the subgradient at a kink
// as PyTorch takes it.

import type { GradientRule, RuleContext } from './rule.js';

function unary(op: string, grad: (ctx: RuleContext, dy: string) => string, covers?: string): GradientRule {
  return { op, differentiable: [0], backward: (ctx, [dy]) => [grad(ctx, dy!)], ...(covers !== undefined ? { covers } : {}) };
}

/** `d softplus x = dY · σ(x)`. */
export const softplus = unary('Softplus', (ctx, dy) => ctx.e.mul(dy, ctx.e.op('Sigmoid', [ctx.input(0)])));

/** `d elu x = dY` for x > 0, else `dY · (y + α)`. */
export const elu = unary('Elu', (ctx, dy) => {
  const { e } = ctx;
  const alpha = ctx.node.attrs.float('alpha', 1);
  const negative = e.mul(dy, e.add(ctx.output(0), ctx.scalar(alpha)));
  return e.op('Where', [e.op('Greater', [ctx.input(0), ctx.scalar(0)]), dy, negative]);
});

/** y = max(0, min(1, αx + β)): `∂x = α·dY` where 0 < αx + β < 1. */
export const hardSigmoid = unary('HardSigmoid', (ctx, dy) => {
  const { e } = ctx;
  const alpha = ctx.node.attrs.float('alpha', 0.2);
  const y = ctx.output(0);
  const inside = e.op('And', [e.op('Greater', [y, ctx.scalar(0)]), e.op('Less', [y, ctx.scalar(1)])]);
  return e.op('Where', [inside, e.mul(dy, ctx.scalar(alpha)), ctx.scalar(0)]);
});

/** y = x·max(0, min(1, x/6 + ½)): `∂x = dY·(x/3 + ½)` for −3 < x < 3, dY above, 0 below. */
export const hardSwish = unary('HardSwish', (ctx, dy) => {
  const { e } = ctx;
  const x = ctx.input(0);
  const slope = e.add(e.mul(x, ctx.scalar(1 / 3)), ctx.scalar(0.5));
  const upper = e.op('Greater', [x, ctx.scalar(3)]);
  return e.mul(dy, e.op('Where', [upper, ctx.scalar(1), e.op('Where', [e.op('Less', [x, ctx.scalar(-3)]), ctx.scalar(0), slope])]));
});

/** Clip to [min, max] (inputs; absent: unbounded): `∂x = dY` where min ≤ x ≤ max, else 0. */
export const clip: GradientRule = {
  op: 'Clip',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const bounds: string[] = [];
    if ((ctx.node.inputs[1] ?? '') !== '') bounds.push(e.op('GreaterOrEqual', [x, ctx.input(1)]));
    if ((ctx.node.inputs[2] ?? '') !== '') bounds.push(e.op('LessOrEqual', [x, ctx.input(2)]));
    if (bounds.length === 0) return [dy];
    const inside = bounds.length === 1 ? bounds[0]! : e.op('And', bounds);
    return [e.op('Where', [inside, dy!, ctx.scalar(0)])];
  },
  covers: 'min and max as inputs (opset 11 on)',
};

/** `d sin x = dY · cos x`. */
export const sin = unary('Sin', (ctx, dy) => ctx.e.mul(dy, ctx.e.op('Cos', [ctx.input(0)])));

/** `d cos x = −dY · sin x`. */
export const cos = unary('Cos', (ctx, dy) => ctx.e.neg(ctx.e.mul(dy, ctx.e.op('Sin', [ctx.input(0)]))));
