/**
 * Float64 dense matrices for the test oracles. Written from scratch for the tests: nothing here
 * calls the code under test (only `Random` is borrowed, as a source of input numbers).
 */
import { Random } from '../../src/random.js';

/** A row-major float64 matrix. */
export interface M64 {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): M64 {
  const d = new Float64Array(rows * cols);
  if (data !== undefined) {
    if (data.length !== rows * cols) throw new Error(`mat: ${rows}x${cols} needs ${rows * cols} values, got ${data.length}`);
    for (let i = 0; i < d.length; i++) d[i] = data[i]!;
  }
  return { rows, cols, data: d };
}

export function at(a: M64, i: number, j: number): number {
  return a.data[i * a.cols + j]!;
}

export function identity(n: number): M64 {
  const out = mat(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

export function transpose(a: M64): M64 {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return out;
}

export function matmul(a: M64, b: M64): M64 {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} · ${b.rows}x${b.cols}`);
  const out = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j]! += aik * b.data[k * b.cols + j]!;
    }
  }
  return out;
}

/** `α·a + β·b`. */
export function lincomb(alpha: number, a: M64, beta: number, b: M64): M64 {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error('lincomb: shapes differ');
  const out = mat(a.rows, a.cols);
  for (let i = 0; i < out.data.length; i++) out.data[i] = alpha * a.data[i]! + beta * b.data[i]!;
  return out;
}

export function scaled(a: M64, s: number): M64 {
  return mat(a.rows, a.cols, a.data.map((v) => v * s));
}

export function frob(a: M64 | Float64Array | Float32Array): number {
  const d = 'data' in a ? a.data : a;
  let ss = 0;
  for (const v of d) ss += v * v;
  return Math.sqrt(ss);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error('dot: lengths differ');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** `‖a − b‖_F` of two equally long arrays. */
export function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`diffNorm: lengths ${a.length} and ${b.length}`);
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(ss);
}

/** The float64 copy of float32 values (exact). */
export function f64(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values as ArrayLike<number>);
}

/** Values rounded to float32 and back (so float64 oracles see exactly what the backend sees). */
export function roundF32(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.fround(values[i]!);
  return out;
}

/** `n` standard normals from a seed. */
export function gaussian(n: number, seed: number, scale = 1): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * An `m×n` matrix with orthonormal columns (m ≥ n) or rows (m < n): Householder-free modified
 * Gram–Schmidt with re-orthogonalization on Gaussian vectors (our own, independent of src/init).
 */
export function randomOrthonormal(m: number, n: number, seed: number): M64 {
  const long = Math.max(m, n);
  const short = Math.min(m, n);
  const g = gaussian(long * short, seed);
  const vs: Float64Array[] = [];
  for (let j = 0; j < short; j++) {
    const v = g.slice(j * long, (j + 1) * long);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of vs) {
        const p = dot(u, v);
        for (let i = 0; i < long; i++) v[i] = v[i]! - p * u[i]!;
      }
    }
    const nv = frob(v);
    for (let i = 0; i < long; i++) v[i] = v[i]! / nv;
    vs.push(v);
  }
  const out = mat(m, n);
  for (let j = 0; j < short; j++) {
    for (let i = 0; i < long; i++) {
      if (m >= n) out.data[i * n + j] = vs[j]![i]!;
      else out.data[j * n + i] = vs[j]![i]!;
    }
  }
  return out;
}

/** `U · diag(sigma) · Vᵀ` for a random `m×n` matrix with the given singular values (length min(m, n)). */
export function withSingularValues(m: number, n: number, sigma: readonly number[], seed: number): M64 {
  const k = Math.min(m, n);
  if (sigma.length !== k) throw new Error('withSingularValues: need min(m, n) values');
  const u = randomOrthonormal(m, k, seed);
  const v = randomOrthonormal(n, k, seed + 7919);
  const us = mat(m, k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) us.data[i * k + j] = at(u, i, j) * sigma[j]!;
  return matmul(us, transpose(v));
}
