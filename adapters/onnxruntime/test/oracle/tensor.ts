// The float64 oracle's tensors: a shape and row-major Float64Array values (integer tensors too).
// Written from the ONNX operator specification, independently of the gradient rules: the
// finite-difference checks differentiate these forward functions numerically.

export interface T64 {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

export function tensor(shape: readonly number[], data: ArrayLike<number> | ((i: number) => number)): T64 {
  const n = size(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = typeof data === 'function' ? data(i) : data[i]!;
  return { shape: [...shape], data: out };
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Multi-index of flat position `i`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = i % shape[a]!;
    i = Math.floor(i / shape[a]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let a = 0; a < shape.length; a++) i = i * shape[a]! + idx[a]!;
  return i;
}

/** numpy's broadcast of several shapes. */
export function broadcastShape(...shapes: ReadonlyArray<readonly number[]>): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let a = 0; a < rank; a++) {
    let d = 1;
    for (const s of shapes) {
      const k = s[a - (rank - s.length)] ?? 1;
      if (k !== 1) {
        if (d !== 1 && d !== k) throw new Error(`shapes [${shapes.map((x) => x.join(',')).join('] [')}] do not broadcast`);
        d = k;
      }
    }
    out.push(d);
  }
  return out;
}

/** The value of `t` at output multi-index `idx` of a broadcast. */
export function at(t: T64, idx: readonly number[]): number {
  const lead = idx.length - t.shape.length;
  let i = 0;
  for (let a = 0; a < t.shape.length; a++) i = i * t.shape[a]! + (t.shape[a] === 1 ? 0 : idx[a + lead]!);
  return t.data[i]!;
}

/** Elementwise `f` over broadcast inputs. */
export function zipWith(inputs: readonly T64[], f: (...v: number[]) => number): T64 {
  const shape = broadcastShape(...inputs.map((t) => t.shape));
  return tensor(shape, (i) => {
    const idx = unravel(i, shape);
    return f(...inputs.map((t) => at(t, idx)));
  });
}

/** `t` with axis `a` normalized (negative counts from the end). */
export const axisOf = (a: number, rank: number): number => (a < 0 ? a + rank : a);
