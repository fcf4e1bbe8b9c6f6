// Products, convolutions and pools of the float64 oracle, by their definitions (loops).
import type { Attrs } from './elementwise.js';
import { broadcastShape, ravel, size, tensor, unravel, type T64 } from './tensor.js';

function matmul(a0: T64, b0: T64): T64 {
  const a = a0.shape.length === 1 ? { shape: [1, a0.shape[0]!], data: a0.data } : a0;
  const b = b0.shape.length === 1 ? { shape: [b0.shape[0]!, 1], data: b0.data } : b0;
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape[b.shape.length - 1]!;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const out = tensor(shape, (i) => {
    const idx = unravel(i, shape);
    const bi = idx.slice(0, -2);
    const [m, n] = idx.slice(-2) as [number, number];
    const aBase = [...bi.slice(bi.length - (a.shape.length - 2)).map((v, k) => (a.shape[k] === 1 ? 0 : v))];
    const bBase = [...bi.slice(bi.length - (b.shape.length - 2)).map((v, k) => (b.shape[k] === 1 ? 0 : v))];
    let s = 0;
    for (let k = 0; k < K; k++) s += a.data[ravel([...aBase, m, k], a.shape)]! * b.data[ravel([...bBase, k, n], b.shape)]!;
    return s;
  });
  const final = [...batch, ...(a0.shape.length === 1 ? [] : [M]), ...(b0.shape.length === 1 ? [] : [N])];
  return { shape: final, data: out.data };
}

function gemm(inputs: readonly (T64 | undefined)[], attrs: Attrs): T64 {
  const [a, b, c] = inputs;
  const tA = attrs.transA === 1;
  const tB = attrs.transB === 1;
  const alpha = (attrs.alpha as number | undefined) ?? 1;
  const beta = (attrs.beta as number | undefined) ?? 1;
  const M = tA ? a!.shape[1]! : a!.shape[0]!;
  const K = tA ? a!.shape[0]! : a!.shape[1]!;
  const N = tB ? b!.shape[0]! : b!.shape[1]!;
  const A = (m: number, k: number): number => a!.data[tA ? k * M + m : m * K + k]!;
  const B = (k: number, n: number): number => b!.data[tB ? n * K + k : k * N + n]!;
  return tensor([M, N], (i) => {
    const [m, n] = [Math.floor(i / N), i % N];
    let s = 0;
    for (let k = 0; k < K; k++) s += A(m, k) * B(k, n);
    let cv = 0;
    if (c !== undefined) {
      const cs = c.shape;
      const cm = cs.length === 2 ? (cs[0] === 1 ? 0 : m) : 0;
      const cn = cs.length === 0 ? 0 : cs[cs.length - 1] === 1 ? 0 : n;
      cv = c.data[cs.length === 2 ? cm * cs[1]! + cn : cn]!;
    }
    return alpha * s + beta * cv;
  });
}

interface Window {
  k: number;
  s: number;
  d: number;
  pb: number;
  pe: number;
  in: number;
  out: number;
}

/** Window geometry per spatial axis (auto_pad, pads, ceil_mode as onnxruntime computes them). */
function windows(x: T64, kernel: readonly number[], attrs: Attrs, pool: boolean): Window[] {
  const n = kernel.length;
  const strides = (attrs.strides as number[] | undefined) ?? kernel.map(() => 1);
  const dil = (attrs.dilations as number[] | undefined) ?? kernel.map(() => 1);
  const pads = (attrs.pads as number[] | undefined) ?? new Array<number>(2 * n).fill(0);
  const auto = (attrs.auto_pad as string | undefined) ?? 'NOTSET';
  return kernel.map((k, a) => {
    const size = x.shape[2 + a]!;
    const [s, d] = [strides[a]!, dil[a]!];
    const span = (k - 1) * d + 1;
    let [pb, pe] = [pads[a]!, pads[a + n]!];
    let out: number;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      out = Math.ceil(size / s);
      const total = Math.max(0, (out - 1) * s + span - size);
      const small = Math.floor(total / 2);
      [pb, pe] = auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    } else {
      if (auto === 'VALID') [pb, pe] = [0, 0];
      const q = (size + pb + pe - span) / s;
      out = (pool && attrs.ceil_mode === 1 ? Math.ceil(q) : Math.floor(q)) + 1;
      if (pool && attrs.ceil_mode === 1 && (out - 1) * s >= size + pb) out--;
    }
    return { k, s, d, pb, pe, in: size, out };
  });
}

/** Calls `f(outputSpatialIndex, inputPositions)` over every output position. */
function positions(ws: readonly Window[]): Array<{ out: number[]; taps: Array<{ tap: number[]; at: number[] }> }> {
  const outShape = ws.map((w) => w.out);
  const kShape = ws.map((w) => w.k);
  const result = [];
  for (let o = 0; o < size(outShape); o++) {
    const out = unravel(o, outShape);
    const taps = [];
    for (let t = 0; t < size(kShape); t++) {
      const tap = unravel(t, kShape);
      taps.push({ tap, at: tap.map((j, a) => out[a]! * ws[a]!.s - ws[a]!.pb + j * ws[a]!.d) });
    }
    result.push({ out, taps });
  }
  return result;
}

const inside = (p: readonly number[], ws: readonly Window[]): boolean => p.every((v, a) => v >= 0 && v < ws[a]!.in);

function conv(x: T64, w: T64, b: T64 | undefined, attrs: Attrs): T64 {
  const [N, C] = x.shape as [number, number];
  const [O, Cg, ...kernel] = w.shape as [number, number, ...number[]];
  const group = (attrs.group as number | undefined) ?? 1;
  const ws = windows(x, kernel, attrs, false);
  const outSp = ws.map((v) => v.out);
  const out = new Float64Array(N * O * size(outSp));
  const pos = positions(ws);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / (O / group));
      pos.forEach(({ taps }, p) => {
        let s = b === undefined ? 0 : b.data[o]!;
        for (let c = 0; c < Cg; c++)
          for (const { tap, at } of taps) {
            if (!inside(at, ws)) continue;
            s += x.data[ravel([n, g * Cg + c, ...at], x.shape)]! * w.data[ravel([o, c, ...tap], w.shape)]!;
          }
        out[(n * O + o) * size(outSp) + p] = s;
      });
    }
  void C;
  return { shape: [N, O, ...outSp], data: out };
}

function pool(op: string, x: T64, attrs: Attrs): T64 {
  const [N, C] = x.shape as [number, number];
  const kernel = op === 'GlobalAveragePool' ? x.shape.slice(2) : (attrs.kernel_shape as number[]);
  const ws = windows(x, kernel, op === 'GlobalAveragePool' ? {} : attrs, true);
  const outSp = ws.map((v) => v.out);
  const pos = positions(ws);
  const out = new Float64Array(N * C * size(outSp));
  for (let nc = 0; nc < N * C; nc++) {
    const [n, c] = [Math.floor(nc / C), nc % C];
    pos.forEach(({ out: o, taps }, p) => {
      const values = taps.filter(({ at }) => inside(at, ws)).map(({ at }) => x.data[ravel([n, c, ...at], x.shape)]!);
      if (op === 'MaxPool') {
        out[nc * size(outSp) + p] = Math.max(...values);
        return;
      }
      // onnxruntime's divisor: the window clipped to the padded input (count_include_pad), or to the input.
      let count = 1;
      ws.forEach((w, a) => {
        const start = o[a]! * w.s - w.pb;
        const end = Math.min(start + w.k, w.in + w.pe);
        count *= attrs.count_include_pad === 1 ? end - start : Math.min(end, w.in) - Math.max(start, 0);
      });
      out[nc * size(outSp) + p] = values.reduce((a, v) => a + v, 0) / count;
    });
  }
  return { shape: [N, C, ...outSp], data: out };
}

export function nn(op: string, inputs: readonly (T64 | undefined)[], attrs: Attrs): T64[] | undefined {
  switch (op) {
    case 'MatMul':
      return [matmul(inputs[0]!, inputs[1]!)];
    case 'Gemm':
      return [gemm(inputs, attrs)];
    case 'Conv':
      return [conv(inputs[0]!, inputs[1]!, inputs[2], attrs)];
    case 'MaxPool':
    case 'AveragePool':
    case 'GlobalAveragePool':
      return [pool(op, inputs[0]!, attrs)];
    default:
      return undefined;
  }
}
