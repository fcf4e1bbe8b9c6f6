// Elementwise binary arithmetic with multidirectional broadcasting: every input's gradient is
// reduced back to that input's shape (ctx.unbroadcast).

import { intAttr } from '../attributes.js';
import type { GradientRule, RuleContext } from './rule.js';

/** `∂(a + b) = (dy, dy)`. */
export const add: GradientRule = {
  op: 'Add',
  backward: (ctx, [dy]) => [ctx.wants(0) ? ctx.unbroadcast(dy!, 0) : undefined, ctx.wants(1) ? ctx.unbroadcast(dy!, 1) : undefined],
};

/** `∂(a − b) = (dy, −dy)` (negated after the reduction: on the smaller tensor). */
export const sub: GradientRule = {
  op: 'Sub',
  backward: (ctx, [dy]) => [ctx.wants(0) ? ctx.unbroadcast(dy!, 0) : undefined, ctx.wants(1) ? ctx.e.neg(ctx.unbroadcast(dy!, 1)) : undefined],
};

/** `∂(a · b) = (dy · b, dy · a)`. */
export const mul: GradientRule = {
  op: 'Mul',
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    return [
      ctx.wants(0) ? ctx.unbroadcast(e.mul(dy!, ctx.input(1)), 0) : undefined,
      ctx.wants(1) ? ctx.unbroadcast(e.mul(dy!, ctx.input(0)), 1) : undefined,
    ];
  },
};

/** `∂(a / b) = (dy / b, −dy · y / b)` with `y = a / b`. */
export const div: GradientRule = {
  op: 'Div',
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const da = ctx.wants(0) || ctx.wants(1) ? e.div(dy!, ctx.input(1)) : undefined;
    return [ctx.wants(0) ? ctx.unbroadcast(da!, 0) : undefined, ctx.wants(1) ? e.neg(ctx.unbroadcast(e.mul(da!, ctx.output(0)), 1)) : undefined];
  },
};

/** The exponent of a Pow as a value of the base's element type (a constant folded in). */
function exponentLike(ctx: RuleContext): { value: string; constant: number | undefined } {
  const values = ctx.constant(1);
  if (values !== undefined && values.length === 1) return { value: ctx.scalar(values[0]!, ctx.input(0)), constant: values[0] };
  const b = ctx.input(1);
  const base = ctx.dtype(ctx.input(0));
  if (ctx.dtype(b) === base) return { value: b, constant: undefined };
  return { value: ctx.e.op('Cast', [b], [intAttr('to', base)]), constant: undefined };
}

/** `∂(aᵇ) = (dy · b · aᵇ⁻¹, dy · aᵇ · ln a)`; a constant exponent 2 gives `dy · 2a`. */
export const pow: GradientRule = {
  op: 'Pow',
  differentiable: [0, 1],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const a = ctx.input(0);
    let da: string | undefined;
    if (ctx.wants(0)) {
      const { value: b, constant } = exponentLike(ctx);
      let slope: string;
      if (constant === 1) slope = ctx.scalar(1, a);
      else if (constant === 2) slope = e.mul(a, ctx.scalar(2, a));
      else {
        const power = e.op('Pow', [a, constant === undefined ? e.sub(b, ctx.scalar(1, a)) : ctx.scalar(constant - 1, a)]);
        slope = e.mul(power, b);
      }
      da = ctx.unbroadcast(e.mul(dy!, slope), 0);
    }
    const db = ctx.wants(1) ? ctx.unbroadcast(e.mul(e.mul(dy!, ctx.output(0)), e.op('Log', [a])), 1) : undefined;
    return [da, db];
  },
};

/** `∂(Σ xᵢ) = (dy, dy, …)`. */
export const sum: GradientRule = {
  op: 'Sum',
  backward: (ctx, [dy]) => ctx.node.inputs.map((_, i) => (ctx.wants(i) ? ctx.unbroadcast(dy!, i) : undefined)),
};

