// Elementwise Max and Min of several broadcast inputs: each input's gradient is dY where it is the
// result (every tied input gets it), reduced to its shape.

import type { GradientRule } from './rule.js';

function extremum(op: 'Max' | 'Min'): GradientRule {
  return {
    op,
    backward: (ctx, [dy]) => {
      const { e } = ctx;
      const y = ctx.output(0);
      return ctx.node.inputs.map((x, i) => (ctx.wants(i) ? ctx.unbroadcast(e.op('Where', [e.op('Equal', [x, y]), dy!, ctx.scalar(0)]), i) : undefined));
    },
    covers: 'several broadcast inputs; ties pass the gradient to every tied input',
  };
}

export const max = extremum('Max');
export const min = extremum('Min');
