// Reductions, softmaxes, cross-entropy and normalizations of the float64 oracle.
import type { Attrs } from './elementwise.js';
import { at, axisOf, ravel, size, tensor, unravel, type T64 } from './tensor.js';

/** Sums `f(x)` over `axes` (kept as size 1); `divide` makes it a mean. */
function reduce(x: T64, axes: readonly number[], keep: boolean, f: (v: number) => number, divide: boolean): T64 {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept));
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, a) => (axes.includes(a) ? 0 : v));
    out[ravel(idx, kept)]! += f(x.data[i]!);
  }
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  if (divide) for (let i = 0; i < out.length; i++) out[i]! /= count;
  return { shape: keep ? kept : x.shape.filter((_, i) => !axes.includes(i)), data: out };
}

function reducedAxes(x: T64, attrs: Attrs, input: T64 | undefined): number[] | undefined {
  const list = (attrs.axes as number[] | undefined) ?? (input === undefined ? undefined : Array.from(input.data));
  if (list === undefined || list.length === 0) return attrs.noop_with_empty_axes === 1 ? undefined : x.shape.map((_, i) => i);
  return list.map((a) => axisOf(a, x.shape.length));
}

/** Softmax along `axis`. */
function softmax(x: T64, axis: number, log: boolean): T64 {
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  const max = new Float64Array(size(kept)).fill(-Infinity);
  const key = (i: number): number => ravel(unravel(i, x.shape).map((v, a) => (a === axis ? 0 : v)), kept);
  for (let i = 0; i < x.data.length; i++) max[key(i)] = Math.max(max[key(i)]!, x.data[i]!);
  const total = new Float64Array(size(kept));
  for (let i = 0; i < x.data.length; i++) total[key(i)]! += Math.exp(x.data[i]! - max[key(i)]!);
  return tensor(x.shape, (i) => (log ? x.data[i]! - max[key(i)]! - Math.log(total[key(i)]!) : Math.exp(x.data[i]! - max[key(i)]!) / total[key(i)]!));
}

function crossEntropy(scores: T64, labels: T64, weights: T64 | undefined, attrs: Attrs): T64[] {
  const logp = softmax(scores, 1, true);
  const ignore = attrs.ignore_index as number | undefined;
  const reduction = (attrs.reduction as string | undefined) ?? 'mean';
  const losses = new Float64Array(labels.data.length);
  let weightSum = 0;
  for (let i = 0; i < labels.data.length; i++) {
    const t = labels.data[i]!;
    if (t === ignore) continue;
    const [n, ...rest] = unravel(i, labels.shape);
    const w = weights === undefined ? 1 : weights.data[t]!;
    losses[i] = -w * logp.data[ravel([n!, t, ...rest], scores.shape)]!;
    weightSum += w;
  }
  const sum = losses.reduce((a, v) => a + v, 0);
  const loss = reduction === 'none' ? { shape: labels.shape, data: losses } : tensor([], [reduction === 'sum' ? sum : sum / weightSum]);
  return [loss, logp];
}

function layerNorm(x: T64, scale: T64, bias: T64 | undefined, attrs: Attrs): T64[] {
  const axis = axisOf((attrs.axis as number | undefined) ?? -1, x.shape.length);
  const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
  const eps = (attrs.epsilon as number | undefined) ?? 1e-5;
  const mean = reduce(x, axes, true, (v) => v, true);
  const centered = tensor(x.shape, (i) => x.data[i]! - at(mean, unravel(i, x.shape)));
  const variance = reduce(centered, axes, true, (v) => v * v, true);
  const y = tensor(x.shape, (i) => {
    const idx = unravel(i, x.shape);
    const v = (centered.data[i]! / Math.sqrt(at(variance, idx) + eps)) * at(scale, idx);
    return bias === undefined ? v : v + at(bias, idx);
  });
  return [y, mean, tensor(variance.shape, (i) => 1 / Math.sqrt(variance.data[i]! + eps))];
}

function batchNorm(inputs: readonly T64[], attrs: Attrs): T64[] {
  const [x, scale, bias, mean0, var0] = inputs as [T64, T64, T64, T64, T64];
  const eps = (attrs.epsilon as number | undefined) ?? 1e-5;
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let mean = mean0.data;
  let variance = var0.data;
  if (attrs.training_mode === 1) {
    mean = reduce(x, axes, false, (v) => v, true).data;
    const c = x.shape[1]!;
    const sq = new Float64Array(c);
    const count = size(x.shape) / c;
    for (let i = 0; i < x.data.length; i++) {
      const ch = unravel(i, x.shape)[1]!;
      sq[ch]! += (x.data[i]! - mean[ch]!) ** 2 / count;
    }
    variance = sq;
  }
  return [
    tensor(x.shape, (i) => {
      const ch = unravel(i, x.shape)[1]!;
      return ((x.data[i]! - mean[ch]!) / Math.sqrt(variance[ch]! + eps)) * scale.data[ch]! + bias.data[ch]!;
    }),
  ];
}

export function reductions(op: string, inputs: readonly (T64 | undefined)[], attrs: Attrs): T64[] | undefined {
  const x = inputs[0]!;
  const keep = ((attrs.keepdims as number | undefined) ?? 1) === 1;
  switch (op) {
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceSumSquare': {
      const axes = reducedAxes(x, attrs, inputs[1]);
      if (axes === undefined) return [x];
      return [reduce(x, axes, keep, op === 'ReduceSumSquare' ? (v) => v * v : (v) => v, op === 'ReduceMean')];
    }
    case 'Softmax':
    case 'LogSoftmax':
      return [softmax(x, axisOf((attrs.axis as number | undefined) ?? -1, x.shape.length), op === 'LogSoftmax')];
    case 'SoftmaxCrossEntropyLoss':
      return crossEntropy(x, inputs[1]!, inputs[2], attrs);
    case 'LayerNormalization':
      return layerNorm(x, inputs[1]!, inputs[2], attrs);
    case 'BatchNormalization':
      return batchNorm(inputs as T64[], attrs);
    case 'InstanceNormalization': {
      // LayerNormalization over the spatial axes of each (n, c) plane, then the per-channel affine map.
      const [scale, bias] = [inputs[1]!, inputs[2]!];
      const planes = { shape: [...x.shape.slice(0, 2), size(x.shape.slice(2))], data: x.data };
      const ones = tensor([planes.shape[2]!], () => 1);
      const [normalized] = layerNorm(planes, ones, undefined, { axis: 2, epsilon: attrs.epsilon });
      return [tensor(x.shape, (i) => normalized!.data[i]! * scale.data[unravel(i, x.shape)[1]!]! + bias.data[unravel(i, x.shape)[1]!]!)];
    }
    default:
      return undefined;
  }
}
