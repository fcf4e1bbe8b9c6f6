/**
 * The reference backend's primitives as plain functions over {@link RefTensor}: each reads its
 * inputs, allocates a fresh result and never writes to an input.
 */
import type { Axis, Shape } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { RefTensor, dims2, formatShape, sameShape, sizeOf } from './tensor.js';

// ---- data ----------------------------------------------------------------------------------------

/** A new tensor holding a copy of `data` with `shape`. */
export function fromArray(data: Float32Array, shape: Shape): RefTensor {
  return new RefTensor(data.slice(), shape);
}

/** Zeros with `shape`. */
export function zeros(shape: Shape): RefTensor {
  return new RefTensor(new Float32Array(sizeOf(shape)), shape);
}

/** The same values (copied) with another shape of equal size. */
export function reshape(x: RefTensor, shape: Shape): RefTensor {
  if (sizeOf(shape) !== x.size) {
    throw new LmoError('SHAPE_MISMATCH', `reshape: cannot view ${formatShape(x.shape)} (${x.size} values) as ${formatShape(shape)}`);
  }
  return new RefTensor(x.data.slice(), shape);
}

/** `xᵀ` of a 2-D tensor. */
export function transpose(x: RefTensor): RefTensor {
  const [m, n] = dims2(x, 'transpose');
  const src = x.data;
  const out = new Float32Array(m * n);
  // 32×32 blocks keep both the reads and the writes within a few cache lines.
  const B = 32;
  for (let i0 = 0; i0 < m; i0 += B) {
    const i1 = Math.min(m, i0 + B);
    for (let j0 = 0; j0 < n; j0 += B) {
      const j1 = Math.min(n, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) out[j * m + i] = src[i * n + j]!;
      }
    }
  }
  return new RefTensor(out, [n, m]);
}

// ---- elementwise ---------------------------------------------------------------------------------

function requireSameShape(a: RefTensor, b: RefTensor, op: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new LmoError('SHAPE_MISMATCH', `${op}: shapes differ: ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
}

/**
 * `b`'s values laid out like `a`: `b` itself when the shapes are equal, otherwise `b` 2-D and
 * `[m, 1]`, `[1, n]` or `[1, 1]` against `a`'s `[m, n]`, expanded.
 */
function broadcastRight(a: RefTensor, b: RefTensor, op: string): Float32Array {
  if (sameShape(a.shape, b.shape)) return b.data;
  if (a.rank === 2 && b.rank === 2) {
    const [m, n] = a.shape as [number, number];
    const [bm, bn] = b.shape as [number, number];
    const src = b.data;
    if (bm === m && bn === 1) {
      const out = new Float32Array(m * n);
      for (let i = 0; i < m; i++) out.fill(src[i]!, i * n, (i + 1) * n);
      return out;
    }
    if (bm === 1 && bn === n) {
      const out = new Float32Array(m * n);
      for (let i = 0; i < m; i++) out.set(src, i * n);
      return out;
    }
    if (bm === 1 && bn === 1) return new Float32Array(m * n).fill(src[0]!);
  }
  throw new LmoError(
    'SHAPE_MISMATCH',
    `${op}: cannot broadcast ${formatShape(b.shape)} against ${formatShape(a.shape)} ` +
      '(the right operand must be [m, n], [m, 1], [1, n] or [1, 1])',
  );
}

/** `a + b`; `b` may broadcast like {@link mul}'s. */
export function add(a: RefTensor, b: RefTensor): RefTensor {
  const x = a.data;
  const y = broadcastRight(a, b, 'add');
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i]! + y[i]!;
  return new RefTensor(out, a.shape);
}

/** `a − b`; `b` may broadcast like {@link mul}'s. */
export function sub(a: RefTensor, b: RefTensor): RefTensor {
  const x = a.data;
  const y = broadcastRight(a, b, 'sub');
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i]! - y[i]!;
  return new RefTensor(out, a.shape);
}

/** `a ⊙ b`; `b` is `a`'s shape or, for a 2-D `a` `[m, n]`, `[m, 1]`, `[1, n]` or `[1, 1]`. */
export function mul(a: RefTensor, b: RefTensor): RefTensor {
  const x = a.data;
  const y = broadcastRight(a, b, 'mul');
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i]! * y[i]!;
  return new RefTensor(out, a.shape);
}

/** `a ⊘ b`; `b` broadcasts like {@link mul}'s. IEEE semantics: `1/0 = Inf`, `0/0 = NaN`. */
export function div(a: RefTensor, b: RefTensor): RefTensor {
  const x = a.data;
  const y = broadcastRight(a, b, 'div');
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i]! / y[i]!;
  return new RefTensor(out, a.shape);
}

/** `s · x`. */
export function scale(x: RefTensor, s: number): RefTensor {
  const v = x.data;
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = s * v[i]!;
  return new RefTensor(out, x.shape);
}

/** `x + s`. */
export function addScalar(x: RefTensor, s: number): RefTensor {
  const v = x.data;
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = v[i]! + s;
  return new RefTensor(out, x.shape);
}

/** `α·x + β·y` (same shape), computed in float64 then rounded once. */
export function axpby(alpha: number, x: RefTensor, beta: number, y: RefTensor): RefTensor {
  requireSameShape(x, y, 'axpby');
  const u = x.data;
  const v = y.data;
  const out = new Float32Array(u.length);
  for (let i = 0; i < out.length; i++) out[i] = alpha * u[i]! + beta * v[i]!;
  return new RefTensor(out, x.shape);
}

/** `sign(x)`: `1`, `−1`, and `0` for `±0`; NaN stays NaN. */
export function sign(x: RefTensor): RefTensor {
  const v = x.data;
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) {
    const e = v[i]!;
    out[i] = e > 0 ? 1 : e < 0 ? -1 : e; // e is ±0 or NaN here
  }
  return new RefTensor(out, x.shape);
}

/** `√x` (NaN for negative entries). */
export function sqrt(x: RefTensor): RefTensor {
  const v = x.data;
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(v[i]!);
  return new RefTensor(out, x.shape);
}

/** `|x|`. */
export function abs(x: RefTensor): RefTensor {
  const v = x.data;
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(v[i]!);
  return new RefTensor(out, x.shape);
}

// ---- reductions ----------------------------------------------------------------------------------

/**
 * `Σ x²` in float64, dims kept: `axis` 0 gives `[1, n]`, 1 gives `[m, 1]` (both need a 2-D `x`);
 * no axis reduces a tensor of any rank to `[1, 1]`.
 */
export function sumSquares(x: RefTensor, axis?: Axis): RefTensor {
  const v = x.data;
  if (axis === undefined) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
    return new RefTensor(Float32Array.of(s), [1, 1]);
  }
  const [m, n] = dims2(x, 'sumSquares with an axis');
  if (axis === 0) {
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) acc[j]! += v[row + j]! * v[row + j]!;
    }
    return new RefTensor(Float32Array.from(acc), [1, n]);
  }
  if (axis === 1) {
    const out = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += v[row + j]! * v[row + j]!;
      out[i] = s;
    }
    return new RefTensor(out, [m, 1]);
  }
  throw new LmoError('UNSUPPORTED_SHAPE', `sumSquares: axis must be 0, 1 or undefined, got ${shown(axis)}`);
}

/** `max |x|` over all elements as `[1, 1]`; NaN if any element is NaN; `0` for an empty tensor. */
export function maxAbs(x: RefTensor): RefTensor {
  const v = x.data;
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const e = Math.abs(v[i]!);
    if (e > m) m = e;
    else if (e !== e) {
      m = NaN;
      break;
    }
  }
  return new RefTensor(Float32Array.of(m), [1, 1]);
}

/** Whether no element of any of `xs` is NaN or ±Inf. */
export function allFinite(xs: readonly RefTensor[]): boolean {
  for (const x of xs) {
    const v = x.data;
    // x − x is 0 for finite x and NaN for NaN and ±Inf.
    for (let i = 0; i < v.length; i++) if (v[i]! - v[i]! !== 0) return false;
  }
  return true;
}

// ---- effects -------------------------------------------------------------------------------------

/** Copies `value`'s values into `target` (equal sizes; shapes may differ only by a reshape). */
export function assign(target: RefTensor, value: RefTensor): void {
  if (target.size !== value.size) {
    throw new LmoError(
      'SHAPE_MISMATCH',
      `assign: target ${formatShape(target.shape)} and value ${formatShape(value.shape)} differ in size`,
    );
  }
  if (target.data !== value.data) target.data.set(value.data);
}
