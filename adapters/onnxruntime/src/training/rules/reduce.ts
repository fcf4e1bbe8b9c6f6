// Reductions: `∂x` = dY (with the reduced axes kept) broadcast back over them; a mean divides by
// the number of elements reduced, a sum of squares multiplies by 2x.

import type { GradientRule, RuleContext } from './rule.js';

/** The reduced axes of a Reduce* node (sorted, non-negative), or `undefined` for "none" (the identity). */
function reducedAxes(ctx: RuleContext): number[] | undefined {
  const rank = ctx.shape(ctx.input(0)).length;
  const attrs = ctx.node.attrs;
  // Axes are an attribute (ReduceMean & co. through opset 17) or an optional input (ReduceSum from
  // 13, every Reduce* from 18).
  let axes = attrs.ints('axes');
  if (axes === undefined && (ctx.node.inputs[1] ?? '') !== '') axes = ctx.requireConstant(1, 'axes');
  if (axes === undefined || axes.length === 0) {
    if (attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

/** dY broadcast back to x's shape. */
function spread(ctx: RuleContext, dy: string, axes: readonly number[]): string {
  const x = ctx.shape(ctx.input(0));
  const kept = x.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptDy = ctx.e.reshape(dy, ctx.shape(ctx.output(0)), kept);
  return ctx.e.expand(keptDy, kept, x);
}

function reduceRule(op: string, scale: (ctx: RuleContext, grad: string, axes: readonly number[]) => string): GradientRule {
  return {
    op,
    differentiable: [0],
    backward: (ctx, [dy]) => {
      const axes = reducedAxes(ctx);
      if (axes === undefined) return [dy];
      return [scale(ctx, spread(ctx, dy!, axes), axes)];
    },
    covers: 'axes as an attribute or as a constant input (opset 18), keepdims, noop_with_empty_axes',
  };
}

export const reduceSum = reduceRule('ReduceSum', (_ctx, g) => g);

export const reduceMean = reduceRule('ReduceMean', (ctx, g, axes) => {
  const x = ctx.shape(ctx.input(0));
  const count = axes.reduce((p, a) => p * x[a]!, 1);
  return ctx.e.mul(g, ctx.scalar(1 / count));
});

export const reduceSumSquare = reduceRule('ReduceSumSquare', (ctx, g) => ctx.e.mul(g, ctx.e.mul(ctx.input(0), ctx.scalar(2))));
