// Ops that pick elements: Slice, Gather, Where. Their gradients put dY back where the values came
// from, zeros elsewhere (and sum where one element was picked several times).

import { ElemType } from '../../onnx/schema.js';
import { elementCount } from '../../onnx/tensor-data.js';
import { intAttr, stringAttr } from '../attributes.js';
import { zerosLike } from './layout.js';
import type { GradientRule, RuleContext } from './rule.js';

/** The indices a Slice keeps along each axis of its input (ONNX's clamping of starts and ends). */
function sliceIndices(ctx: RuleContext): number[][] {
  const dims = ctx.shape(ctx.input(0));
  const rank = dims.length;
  const starts = ctx.requireConstant(1, 'starts');
  const ends = ctx.requireConstant(2, 'ends');
  const axes = ctx.node.inputs[3] ? ctx.requireConstant(3, 'axes') : starts.map((_, i) => i);
  const steps = ctx.node.inputs[4] ? ctx.requireConstant(4, 'steps') : starts.map(() => 1);
  const kept = dims.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a, k) => {
    const axis = a < 0 ? a + rank : a;
    const d = dims[axis]!;
    const step = steps[k]!;
    const norm = (v: number): number => (v < 0 ? v + d : v);
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    const start = step > 0 ? clamp(norm(starts[k]!), 0, d) : clamp(norm(starts[k]!), 0, d - 1);
    const end = step > 0 ? clamp(norm(ends[k]!), 0, d) : clamp(norm(ends[k]!), -1, d - 1);
    const picked: number[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) picked.push(i);
    kept[axis] = picked;
  });
  return kept;
}

/**
 * `∂x` = dY padded with zeros back to x's shape (every step 1), or scattered to the picked
 * positions (other steps).
 */
export const slice: GradientRule = {
  op: 'Slice',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const x = ctx.input(0);
    const dims = ctx.shape(x);
    const kept = sliceIndices(ctx);
    if (kept.some((k) => k.length === 0)) return [zerosLike(ctx, x)];
    const contiguous = kept.every((k) => k.every((v, i) => i === 0 || v === k[i - 1]! + 1));
    if (contiguous) {
      const pads = [...kept.map((k) => k[0]!), ...kept.map((k, a) => dims[a]! - 1 - k[k.length - 1]!)];
      return [e.op('Pad', [dy!, e.ints(pads)])];
    }
    // Flat positions of the picked elements, row-major.
    const strides = dims.map((_, a) => elementCount(dims.slice(a + 1)));
    let flat = [0];
    kept.forEach((k, a) => (flat = flat.flatMap((f) => k.map((i) => f + i * strides[a]!))));
    const n = elementCount(dims);
    const zeros = e.expand(ctx.scalar(0, x), [], [n]);
    const updates = e.reshape(dy!, ctx.shape(ctx.output(0)), [flat.length]);
    const scattered = e.op('ScatterElements', [zeros, e.ints(flat), updates], [intAttr('axis', 0)]);
    return [e.reshape(scattered, [n], dims)];
  },
  covers: 'constant starts, ends, axes and steps (any sign)',
};

/**
 * `∂data` = dY added into zeros at the gathered indices along `axis` (`ScatterND`, reduction
 * `add`: an index gathered twice gets both gradients). Negative indices count from the end.
 */
export const gather: GradientRule = {
  op: 'Gather',
  differentiable: [0],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const [data, indices] = [ctx.input(0), ctx.input(1)];
    const dims = ctx.shape(data);
    const rank = dims.length;
    const axis = (ctx.node.attrs.int('axis', 0) + rank) % rank;
    const d = dims[axis]!;
    const idxShape = ctx.shape(indices);
    const q = idxShape.length;
    const known = ctx.constant(1);
    let idx: string;
    if (known !== undefined) {
      idx = e.constant(ElemType.INT64, [...idxShape, 1], known.map((i) => (i < 0 ? i + d : i)));
    } else {
      let raw = indices;
      if (ctx.dtype(indices) !== ElemType.INT64) raw = e.op('Cast', [raw], [intAttr('to', ElemType.INT64)]);
      const zero = e.scalar(0, ElemType.INT64);
      const wrapped = e.op('Where', [e.op('Less', [raw, zero]), e.add(raw, e.scalar(d, ElemType.INT64)), raw]);
      idx = e.reshape(wrapped, idxShape, [...idxShape, 1]);
    }
    // dY is data[:axis] + indices + data[axis+1:]; ScatterND wants the indexed axis first.
    const toFront = [...Array.from({ length: q }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: rank - 1 - axis }, (_, i) => axis + q + i)];
    const updates = e.transpose(dy!, toFront);
    const rest = [...dims.slice(0, axis), ...dims.slice(axis + 1)];
    const front = [d, ...rest];
    const zeros = e.expand(ctx.scalar(0, data), [], front);
    const scattered = e.op('ScatterND', [zeros, idx, updates], [stringAttr('reduction', 'add')]);
    const back = [...Array.from({ length: axis }, (_, i) => i + 1), 0, ...Array.from({ length: rank - 1 - axis }, (_, i) => axis + 1 + i)];
    return [e.transpose(scattered, back)];
  },
  covers: 'any axis, constant or fed indices (int32/int64, negative ones too)',
};

/** `∂x = where(c, dY, 0)`, `∂y = where(c, 0, dY)`, each reduced to its input's shape. */
export const where: GradientRule = {
  op: 'Where',
  differentiable: [1, 2],
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const c = ctx.input(0);
    const zero = ctx.scalar(0);
    return [
      undefined,
      ctx.wants(1) ? ctx.unbroadcast(e.op('Where', [c, dy!, zero]), 1) : undefined,
      ctx.wants(2) ? ctx.unbroadcast(e.op('Where', [c, zero, dy!]), 2) : undefined,
    ];
  },
};

/**
 * Constant-mode Pad: `∂x` = dY with the padding cut off, i.e. dY padded by the negated pads (a
 * negative pad crops; a cropping pad's negation pads the cropped elements' zero gradient back).
 */
export const pad: GradientRule = {
  op: 'Pad',
  differentiable: [0],
  check: (node) => {
    const mode = node.attrs.string('mode', 'constant');
    return mode === 'constant' ? undefined : `mode "${mode}"`;
  },
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const pads = ctx.requireConstant(1, 'pads');
    const axes = (ctx.node.inputs[3] ?? '') !== '' ? [e.ints(ctx.requireConstant(3, 'axes'))] : [];
    return [e.op('Pad', [dy!, e.ints(pads.map((p) => -p)), ...(axes.length > 0 ? ['', ...axes] : [])])];
  },
  covers: 'mode constant; constant pads (negative ones crop), opset 18 axes',
};
