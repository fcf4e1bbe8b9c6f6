// Ops of the float64 oracle that move values: reshapes, transposes, broadcasts, slicing, gathering.
import type { Attrs } from './elementwise.js';
import { at, axisOf, broadcastShape, ravel, size, strides, tensor, unravel, type T64 } from './tensor.js';

const ints = (t: T64 | undefined): number[] | undefined => (t === undefined ? undefined : Array.from(t.data));

function reshapeTo(x: T64, shape: readonly number[]): T64 {
  return { shape: [...shape], data: x.data };
}

function reshape(x: T64, target: number[]): T64 {
  const dims = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  return reshapeTo(x, dims.map((d) => (d === -1 ? size(x.shape) / known : d)));
}

function transpose(x: T64, perm: readonly number[]): T64 {
  const shape = perm.map((p) => x.shape[p]!);
  return tensor(shape, (i) => {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = idx[k]!));
    return x.data[ravel(src, x.shape)]!;
  });
}

/** Per axis, the indices a Slice keeps (the spec's clamping). */
function sliceIndices(shape: readonly number[], starts: number[], ends: number[], axes: number[], steps: number[]): number[][] {
  const kept = shape.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a0, k) => {
    const a = axisOf(a0, shape.length);
    const d = shape[a]!;
    const step = steps[k]!;
    let s = starts[k]! < 0 ? starts[k]! + d : starts[k]!;
    let e = ends[k]! < 0 ? ends[k]! + d : ends[k]!;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const picked: number[] = [];
    for (let i = s; step > 0 ? i < e : i > e; i += step) picked.push(i);
    kept[a] = picked;
  });
  return kept;
}

function pick(x: T64, kept: number[][]): T64 {
  const shape = kept.map((k) => k.length);
  return tensor(shape, (i) => x.data[ravel(unravel(i, shape).map((j, a) => kept[a]![j]!), x.shape)]!);
}

export function layout(op: string, inputs: readonly (T64 | undefined)[], attrs: Attrs, outputs: number): T64[] | undefined {
  const x = inputs[0]!;
  const rank = x.shape.length;
  switch (op) {
    case 'Reshape':
      return [reshape(x, ints(inputs[1])!)];
    case 'Flatten': {
      const axis = axisOf((attrs.axis as number | undefined) ?? 1, rank);
      return [reshapeTo(x, [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))])];
    }
    case 'Squeeze': {
      const axes = (ints(inputs[1]) ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => axisOf(a, rank));
      return [reshapeTo(x, x.shape.filter((_, i) => !axes.includes(i)))];
    }
    case 'Unsqueeze': {
      const axes = ints(inputs[1])!;
      const out = rank + axes.length;
      const norm = axes.map((a) => axisOf(a, out));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < out; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
      return [reshapeTo(x, shape)];
    }
    case 'Transpose':
      return [transpose(x, (attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => rank - 1 - i))];
    case 'Expand': {
      const shape = broadcastShape(x.shape, ints(inputs[1])!);
      return [tensor(shape, (i) => at(x, unravel(i, shape)))];
    }
    case 'Concat': {
      const parts = inputs as T64[];
      const axis = axisOf(attrs.axis as number, rank);
      const shape = [...x.shape];
      shape[axis] = parts.reduce((a, t) => a + t.shape[axis]!, 0);
      return [
        tensor(shape, (i) => {
          const idx = unravel(i, shape);
          let k = idx[axis]!;
          for (const t of parts) {
            if (k < t.shape[axis]!) return t.data[ravel(idx.map((v, a) => (a === axis ? k : v)), t.shape)]!;
            k -= t.shape[axis]!;
          }
          throw new Error('unreachable');
        }),
      ];
    }
    case 'Split': {
      const axis = axisOf((attrs.axis as number | undefined) ?? 0, rank);
      const d = x.shape[axis]!;
      const n = (attrs.num_outputs as number | undefined) ?? outputs;
      const chunk = Math.ceil(d / n);
      const sizes = ints(inputs[1]) ?? Array.from({ length: n }, (_, i) => Math.min(chunk, d - i * chunk));
      let start = 0;
      return sizes.map((s) => {
        const kept = x.shape.map((dd, a) => (a === axis ? Array.from({ length: s }, (_, i) => start + i) : Array.from({ length: dd }, (_, i) => i)));
        start += s;
        return pick(x, kept);
      });
    }
    case 'Slice': {
      const starts = ints(inputs[1])!;
      const axes = ints(inputs[3]) ?? starts.map((_, i) => i);
      return [pick(x, sliceIndices(x.shape, starts, ints(inputs[2])!, axes, ints(inputs[4]) ?? starts.map(() => 1)))];
    }
    case 'Gather': {
      const idx = inputs[1]!;
      const axis = axisOf((attrs.axis as number | undefined) ?? 0, rank);
      const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
      const q = idx.shape.length;
      return [
        tensor(shape, (i) => {
          const o = unravel(i, shape);
          let j = idx.data[ravel(o.slice(axis, axis + q), idx.shape)]!;
          if (j < 0) j += x.shape[axis]!;
          return x.data[ravel([...o.slice(0, axis), j, ...o.slice(axis + q)], x.shape)]!;
        }),
      ];
    }
    case 'Tile': {
      const repeats = ints(inputs[1])!;
      const shape = x.shape.map((d, a) => d * repeats[a]!);
      return [tensor(shape, (i) => x.data[ravel(unravel(i, shape).map((v, a) => v % x.shape[a]!), x.shape)]!)];
    }
    case 'Pad': {
      const pads = ints(inputs[1])!;
      const value = inputs[2]?.data[0] ?? 0;
      const axes = (ints(inputs[3]) ?? x.shape.map((_, i) => i)).map((a) => axisOf(a, rank));
      const begin = x.shape.map(() => 0);
      const end = x.shape.map(() => 0);
      axes.forEach((a, k) => {
        begin[a] = pads[k]!;
        end[a] = pads[k + axes.length]!;
      });
      const shape = x.shape.map((d, a) => d + begin[a]! + end[a]!);
      const st = strides(x.shape);
      return [
        tensor(shape, (i) => {
          const o = unravel(i, shape);
          let flat = 0;
          for (let a = 0; a < rank; a++) {
            const j = o[a]! - begin[a]!;
            if (j < 0 || j >= x.shape[a]!) return value;
            flat += j * st[a]!;
          }
          return x.data[flat]!;
        }),
      ];
    }
    default:
      return undefined;
  }
}
