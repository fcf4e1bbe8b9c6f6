// Elementwise functions of one input: `dx = dy · f′(x)`, written with the forward output `y`
// where that is cheaper than recomputing from `x`.

import { intAttr } from '../attributes.js';
import type { GradientRule, RuleContext } from './rule.js';

/** A rule whose only input's gradient is `grad(ctx, dy)`. */
function unary(op: string, grad: (ctx: RuleContext, dy: string) => string, covers?: string): GradientRule {
  return { op, differentiable: [0], backward: (ctx, [dy]) => [grad(ctx, dy!)], ...(covers !== undefined ? { covers } : {}) };
}

/** `d√x = dy / (2y)`. */
export const sqrt = unary('Sqrt', (ctx, dy) => ctx.e.div(ctx.e.mul(dy, ctx.scalar(0.5)), ctx.output(0)));

/** `d(1/x) = −dy · y²`. */
export const reciprocal = unary('Reciprocal', (ctx, dy) => {
  const y = ctx.output(0);
  return ctx.e.neg(ctx.e.mul(dy, ctx.e.mul(y, y)));
});

/** `d eˣ = dy · y`. */
export const exp = unary('Exp', (ctx, dy) => ctx.e.mul(dy, ctx.output(0)));

/** `d ln x = dy / x`. */
export const log = unary('Log', (ctx, dy) => ctx.e.div(dy, ctx.input(0)));

/** `d erf x = dy · (2/√π) · e^(−x²) = dy · e^(ln(2/√π) − x²)` (the constant folded into the exponent). */
export const erf = unary('Erf', (ctx, dy) => {
  const { e } = ctx;
  const x = ctx.input(0);
  return e.mul(dy, e.op('Exp', [e.sub(ctx.scalar(Math.log(2 / Math.sqrt(Math.PI))), e.mul(x, x))]));
});

/** `d tanh x = dy · (1 − y²)`. */
export const tanh = unary('Tanh', (ctx, dy) => {
  const y = ctx.output(0);
  return ctx.e.mul(dy, ctx.e.sub(ctx.scalar(1), ctx.e.mul(y, y)));
});

/** `d σ(x) = dy · y · (1 − y)`. */
export const sigmoid = unary('Sigmoid', (ctx, dy) => {
  const y = ctx.output(0);
  return ctx.e.mul(dy, ctx.e.mul(y, ctx.e.sub(ctx.scalar(1), y)));
});

/** `d relu x = dy` where `y > 0`, else 0 (the subgradient 0 at x = 0, as PyTorch). */
export const relu = unary('Relu', (ctx, dy) => {
  const { e } = ctx;
  return e.op('Where', [e.op('Greater', [ctx.output(0), ctx.scalar(0)]), dy, ctx.scalar(0)]);
});

/** `d leaky(x) = dy` where `x > 0`, else `α · dy`. */
export const leakyRelu = unary('LeakyRelu', (ctx, dy) => {
  const { e } = ctx;
  const alpha = ctx.node.attrs.float('alpha', 0.01);
  return e.op('Where', [e.op('Greater', [ctx.input(0), ctx.scalar(0)]), dy, e.mul(dy, ctx.scalar(alpha))]);
});

/** `d(−x) = −dy`. */
export const neg = unary('Neg', (ctx, dy) => ctx.e.neg(dy));

/** `d|x| = dy · sign(x)`. */
export const abs = unary('Abs', (ctx, dy) => ctx.e.mul(dy, ctx.e.op('Sign', [ctx.input(0)])));

/** The identity's gradient, for ops that pass values through. */
const through = (ctx: RuleContext, dy: string): string => dy;

export const identity = unary('Identity', through);

/**
 * Dropout as the identity: in inference form (no `training_mode`, or a constant false one) or with a
 * constant ratio 0. Dropout that drops values while training is not covered.
 */
export const dropout: GradientRule = {
  ...unary('Dropout', through, 'inference form, or ratio 0'),
  check: (node, c) => {
    const [, ratio = '', training = ''] = node.inputs;
    if (training === '' || c.constant(training)?.[0] === 0) return undefined;
    if (ratio !== '' && c.constant(ratio)?.[0] === 0) return undefined;
    return 'dropout while training (export with dropout 0 or in eval mode)';
  },
};

/** A Cast between floating-point types casts the gradient back; other casts carry none. */
export const cast: GradientRule = {
  op: 'Cast',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const from = ctx.dtype(ctx.input(0));
    return [from === ctx.dtype(ctx.output(0)) ? dy : ctx.e.op('Cast', [dy!], [intAttr('to', from)])];
  },
  covers: 'between floating-point types (casts to integers or booleans carry no gradient)',
};
