/**
 * How the suite drives a backend: inputs are made persistent with `fromArray`, the operations run
 * inside `run`, their results leave the scope through `assign` into persistent outputs (the only
 * portable way: eager backends may free temporaries when `run` ends, compiling ones evaluate
 * then), and everything is read back with an awaited `read`. Inputs are read back too and must be
 * unchanged.
 */
import type { Shape, TensorBackend } from '../backend/contract.js';
import { Random } from '../random.js';
import { check, expectExact, expectShape, fmtShape } from './assert.js';

/** A host-side tensor: values and shape. */
export interface Host {
  readonly data: Float32Array;
  readonly shape: Shape;
}

import { sizeOf } from '../shape.js';

/** A host tensor of N(0, 1) values. */
export function randn(rng: Random, shape: Shape): Host {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { data, shape };
}

/** A host tensor of uniform values in `[lo, hi)`. */
export function uniform(rng: Random, shape: Shape, lo: number, hi: number): Host {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * rng.uniform();
  return { data, shape };
}

export function host(values: readonly number[], shape: Shape): Host {
  return { data: Float32Array.from(values), shape };
}

/** A seeded generator per check, so that each check's inputs are stable on their own. */
export function rngFor(id: string, seed: number): Random {
  let h = seed >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return new Random(h);
}

/** `read`, awaited, checked to be a `Float32Array`-like of the right length. */
export async function readValues<T>(b: TensorBackend<T>, x: T, size: number, label: string): Promise<Float32Array> {
  const v = await b.read(x);
  check(v instanceof Float32Array, `${label}: read must return a Float32Array, got ${Object.prototype.toString.call(v)}`);
  check(v.length === size, `${label}: read returned ${v.length} values, expected ${size}`);
  return v;
}

/**
 * Runs `build` over persistent copies of `inputs` inside one `run`, assigns its results into
 * persistent tensors of `outShapes`, and returns their values. Fails if a result has another
 * shape, or if any input changed.
 */
export async function evaluate<T>(
  b: TensorBackend<T>,
  inputs: readonly Host[],
  outShapes: readonly Shape[],
  build: (xs: readonly T[]) => readonly T[],
  label: string,
): Promise<Float32Array[]> {
  const xs = inputs.map((h) => b.fromArray(h.data, h.shape));
  const outs = outShapes.map((s) => b.fromArray(new Float32Array(sizeOf(s)), s));
  try {
    let shapes: Shape[] = [];
    await b.run(() => {
      const rs = build(xs);
      check(rs.length === outs.length, `${label}: expected ${outs.length} results, got ${rs.length}`);
      shapes = rs.map((r) => [...b.shape(r)]);
      rs.forEach((r, i) => {
        const want = outShapes[i]!;
        const got = shapes[i]!;
        if (got.length === want.length && got.every((d, k) => d === want[k])) b.assign(outs[i]!, r);
      });
    });
    shapes.forEach((s, i) => expectShape(s, outShapes[i]!, `${label} (result ${i} ${fmtShape(outShapes[i]!)})`));
    const values: Float32Array[] = [];
    for (let i = 0; i < outs.length; i++) {
      values.push(await readValues(b, outs[i]!, sizeOf(outShapes[i]!), `${label} (result ${i})`));
    }
    for (let i = 0; i < xs.length; i++) {
      const h = inputs[i]!;
      const after = await readValues(b, xs[i]!, h.data.length, `${label} (input ${i})`);
      expectExact(after, h.data, `${label}: input ${i} ${fmtShape(h.shape)} was modified`);
    }
    return values;
  } finally {
    for (const x of xs) b.dispose(x);
    for (const o of outs) b.dispose(o);
  }
}

/** {@link evaluate} with a single result. */
export async function evaluate1<T>(
  b: TensorBackend<T>,
  inputs: readonly Host[],
  outShape: Shape,
  build: (xs: readonly T[]) => T,
  label: string,
): Promise<Float32Array> {
  const [v] = await evaluate(b, inputs, [outShape], (xs) => [build(xs)], label);
  return v!;
}
