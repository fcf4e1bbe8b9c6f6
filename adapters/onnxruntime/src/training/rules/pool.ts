// Pools. Max: each output's gradient goes to the element that won its window (MaxPool's indices
// output, added to the node when the model left it out). Average: each output's gradient, divided
// by its window's count, is spread over the window (a depthwise transposed convolution of ones).

import { elementCount } from '../../onnx/tensor-data.js';
import { intAttr, intsAttr, stringAttr } from '../attributes.js';
import type { GradientRule } from './rule.js';
import { transposedPads, windowAxes, type WindowAxis } from './window.js';

export const maxPool: GradientRule = {
  op: 'MaxPool',
  differentiable: [0],
  check: (node) => (node.attrs.int('storage_order', 0) !== 0 ? 'storage_order 1 (column-major indices)' : undefined),
  backward: (ctx, dys) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const shape = ctx.shape(x);
    const n = elementCount(shape);
    const m = elementCount(ctx.shape(ctx.output(0)));
    const indices = ctx.forwardOutput(1);
    const zeros = e.expand(ctx.scalar(0, x), [], [n]);
    const flatIdx = e.reshape(indices, ctx.shape(ctx.output(0)), [m]);
    const flatDy = e.reshape(dys[0]!, ctx.shape(ctx.output(0)), [m]);
    const scattered = e.op('ScatterElements', [zeros, flatIdx, flatDy], [intAttr('axis', 0), stringAttr('reduction', 'add')]);
    return [e.reshape(scattered, [n], shape)];
  },
  covers: 'pads, auto_pad, strides, dilations, ceil_mode (row-major indices)',
};

/** How many elements window `o` averages along one axis (onnxruntime's count, padding in or out). */
function windowCount(a: WindowAxis, o: number, includePad: boolean): number {
  const start = o * a.s - a.pb;
  const end = Math.min(start + a.k, a.size + a.pe);
  return includePad ? end - start : Math.min(end, a.size) - Math.max(start, 0);
}

export const averagePool: GradientRule = {
  op: 'AveragePool',
  differentiable: [0],
  check: (node) => (node.attrs.ints('dilations')?.some((d) => d !== 1) ? 'dilations other than 1' : undefined),
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const [, C, ...sp] = ctx.shape(x);
    const [, , ...osp] = ctx.shape(ctx.output(0));
    const kernel = ctx.node.attrs.ints('kernel_shape') ?? [];
    const axes = windowAxes(ctx.node, kernel, sp, osp);
    const includePad = ctx.node.attrs.int('count_include_pad', 0) === 1;
    // 1/count for every output position (separable: a product over axes).
    let inverse = [1];
    for (const a of axes) inverse = inverse.flatMap((v) => Array.from({ length: a.out }, (_, o) => v / windowCount(a, o, includePad)));
    const scale = e.constant(ctx.dtype(x), osp, inverse);
    const ones = e.constant(ctx.dtype(x), [C!, 1, ...kernel], new Array<number>(C! * elementCount(kernel)).fill(1));
    const { pads, outputPadding } = transposedPads(axes);
    return [
      e.op('ConvTranspose', [e.mul(dy!, scale), ones], [
        intAttr('group', C!),
        intsAttr('strides', axes.map((a) => a.s)),
        intsAttr('pads', pads),
        intsAttr('output_padding', outputPadding),
      ]),
    ];
  },
  covers: 'pads, auto_pad, strides, ceil_mode, count_include_pad',
};

export const globalAveragePool: GradientRule = {
  op: 'GlobalAveragePool',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const x = ctx.shape(ctx.input(0));
    const spatial = elementCount(x.slice(2));
    const y = ctx.shape(ctx.output(0));
    return [ctx.e.expand(ctx.e.mul(dy!, ctx.scalar(1 / spatial)), y, x)];
  },
};
