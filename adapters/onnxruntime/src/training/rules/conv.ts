// Convolution, `y[n, o] = Σ_c w[o, c] ⋆ x[n, g(o)·Cg + c] + b[o]`, any number of spatial axes.
// ∂x is the transposed convolution of dY with the same weights; ∂w is a convolution too, of x
// (channels as the batch) with dY (the batch as channels), strides and dilations swapped.

import { intAttr, intsAttr } from '../attributes.js';
import type { GradientRule, RuleContext } from './rule.js';
import { transposedPads, windowAxes, type WindowAxis } from './window.js';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * `∂w[o, c, κ] = Σ_{n, p} dY[n, o, p] · x_pad[n, g·Cg + c, κ·d + p·s]`: a grouped Conv of x laid out
 * `[Cg, G·N, …]` with dY laid out `[G·Og, N, …]` as the kernel, stride d and dilation s, cropped to
 * the kernel's size.
 */
function weightGrad(ctx: RuleContext, dy: string, axes: readonly WindowAxis[], group: number): string {
  const { e } = ctx;
  const x = ctx.input(0);
  const [N, C, ...sp] = ctx.shape(x);
  const [, O, ...osp] = ctx.shape(ctx.output(0));
  const r = sp.length;
  const Cg = C! / group;
  const Og = O! / group;
  const tail = range(3, 3 + r);
  let input: string;
  let kernel: string;
  if (group === 1) {
    input = e.transpose(x, [1, 0, ...range(2, 2 + r)]);
    kernel = e.transpose(dy, [1, 0, ...range(2, 2 + r)]);
  } else {
    const xs = e.transpose(e.reshape(x, [N!, C!, ...sp], [N!, group, Cg, ...sp]), [2, 1, 0, ...tail]);
    input = e.reshape(xs, [Cg, group, N!, ...sp], [Cg, group * N!, ...sp]);
    const ys = e.transpose(e.reshape(dy, [N!, O!, ...osp], [N!, group, Og, ...osp]), [1, 2, 0, ...tail]);
    kernel = e.reshape(ys, [group, Og, N!, ...osp], [O!, N!, ...osp]);
  }
  const conv = e.op('Conv', [input, kernel], [
    intAttr('group', group),
    intsAttr('strides', axes.map((a) => a.d)),
    intsAttr('dilations', axes.map((a) => a.s)),
    intsAttr('pads', [...axes.map((a) => a.pb), ...axes.map((a) => a.pe)]),
  ]);
  // Spatial size of that conv: (size + pb + pe − (out − 1)·s − 1)/d + 1 ≥ k; keep the first k.
  const full = axes.map((a) => Math.floor((a.size + a.pb + a.pe - (a.out - 1) * a.s - 1) / a.d) + 1);
  const cropped = full.some((f, i) => f !== axes[i]!.k)
    ? e.op('Slice', [conv, e.ints(axes.map(() => 0)), e.ints(axes.map((a) => a.k)), e.ints(range(2, 2 + r))])
    : conv;
  return e.transpose(cropped, [1, 0, ...range(2, 2 + r)]);
}

export const conv: GradientRule = {
  op: 'Conv',
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const w = ctx.input(1);
    const [, , ...sp] = ctx.shape(x);
    const [, , ...kernel] = ctx.shape(w);
    const [, , ...osp] = ctx.shape(ctx.output(0));
    const group = ctx.node.attrs.int('group', 1);
    const axes = windowAxes(ctx.node, kernel, sp, osp);
    let dx: string | undefined;
    if (ctx.wants(0)) {
      const { pads, outputPadding } = transposedPads(axes);
      dx = e.op('ConvTranspose', [dy!, w], [
        intAttr('group', group),
        intsAttr('strides', axes.map((a) => a.s)),
        intsAttr('dilations', axes.map((a) => a.d)),
        intsAttr('pads', pads),
        intsAttr('output_padding', outputPadding),
      ]);
    }
    const dw = ctx.wants(1) ? weightGrad(ctx, dy!, axes, group) : undefined;
    const db = ctx.wants(2) ? e.reduceSum(dy!, [0, ...range(2, 2 + sp.length)], false) : undefined;
    return [dx, dw, db];
  },
  covers: '1-D to 3-D; pads, auto_pad, strides, dilations, groups (depthwise too)',
};
