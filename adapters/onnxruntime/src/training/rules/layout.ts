// Ops that move values without arithmetic: their gradients move dY back (a reshape undone, the
// inverse permutation, a broadcast summed).

import { intAttr } from '../attributes.js';
import type { GradientRule, RuleContext } from './rule.js';

/** A value-preserving reshape of input 0 (Reshape, Flatten, Squeeze, Unsqueeze): `∂x = reshape(dy)`. */
function reshapeLike(op: string): GradientRule {
  return {
    op,
    differentiable: [0],
    backward: (ctx, [dy]) => [ctx.e.reshape(dy!, ctx.shape(ctx.output(0)), ctx.shape(ctx.input(0)))],
  };
}

export const reshape = reshapeLike('Reshape');
export const flatten = reshapeLike('Flatten');
export const squeeze = reshapeLike('Squeeze');
export const unsqueeze = reshapeLike('Unsqueeze');

/** The permutation of a Transpose node (default: the axes reversed). */
export function permutation(ctx: RuleContext): number[] {
  const rank = ctx.shape(ctx.input(0)).length;
  return ctx.node.attrs.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

/** `∂x = transpose(dy, perm⁻¹)`. */
export const transpose: GradientRule = {
  op: 'Transpose',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const perm = permutation(ctx);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.e.transpose(dy!, inverse)];
  },
};

/** `∂x = dy` summed over the broadcast axes. */
export const expand: GradientRule = {
  op: 'Expand',
  differentiable: [0],
  backward: (ctx, [dy]) => [ctx.unbroadcast(dy!, 0)],
};

/** `∂xᵢ` = the slice of dY along `axis` that input i filled (one Split). */
export const concat: GradientRule = {
  op: 'Concat',
  backward: (ctx, [dy]) => {
    const n = ctx.node.inputs.length;
    const outShape = ctx.shape(ctx.output(0));
    const axis = (ctx.node.attrs.int('axis', 0) + outShape.length) % outShape.length;
    const sizes = ctx.node.inputs.map((x) => ctx.shape(x)[axis]!);
    if (n === 1) return [dy];
    const pieces = ctx.e.opN('Split', [dy!, ctx.e.ints(sizes)], n, [intAttr('axis', axis)]);
    return pieces.map((p, i) => (ctx.wants(i) ? p : undefined));
  },
};

/** Zeros shaped like `value` (a broadcast scalar, never a full constant). */
export function zerosLike(ctx: RuleContext, value: string): string {
  return ctx.e.expand(ctx.scalar(0, value), [], ctx.shape(value));
}

/** `∂x` = the outputs' gradients concatenated back along `axis` (zeros for outputs with none). */
export const split: GradientRule = {
  op: 'Split',
  differentiable: [0],
  backward: (ctx, dys) => {
    const x = ctx.input(0);
    const rank = ctx.shape(x).length;
    const axis = (ctx.node.attrs.int('axis', 0) + rank) % rank;
    const parts = ctx.node.outputs.map((o, i) => dys[i] ?? zerosLike(ctx, o));
    return [parts.length === 1 ? parts[0] : ctx.e.op('Concat', parts, [intAttr('axis', axis)])];
  },
  covers: 'split sizes as an input, equal parts, and opset 18 `num_outputs`',
};

/**
 * Tile by constant repeats: dY viewed as `[r₀, d₀, r₁, d₁, …]` summed over the repeats `rᵢ`.
 */
export const tile: GradientRule = {
  op: 'Tile',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const x = ctx.shape(ctx.input(0));
    const repeats = ctx.requireConstant(1, 'repeats');
    const split = x.flatMap((d, i) => [repeats[i]!, d]);
    const view = ctx.e.reshape(dy!, ctx.shape(ctx.output(0)), split);
    return [ctx.e.reshape(ctx.e.reduceSum(view, x.map((_, i) => 2 * i), false), x, x)];
  },
  covers: 'constant repeats',
};
