/**
 * The contract's arithmetic as kernel launches: each primitive checks its operands, picks the
 * kernel for its operation and shapes (see `kernels.ts`) and launches it into a new temporary.
 */
import { LmoError, type Shape } from '@lmo/core';
import type { Axis, MatmulOptions } from '@lmo/core/backend';
import { formatShape, sameShape, sizeOf } from '@lmo/core/backend';
import * as K from './kernels.js';
import type { Broadcast, Reduce } from './kernels.js';
import { storageOf, type Checked, type Runtime } from './runtime.js';
import type { GpujsTensor, Storage } from './tensor.js';

/** `[rows, cols]` of a 2-D tensor. */
export function matrix(x: GpujsTensor, op: string): readonly [number, number] {
  if (x.shape.length !== 2) throw new LmoError('UNSUPPORTED_SHAPE', `@lmo/gpujs: ${op} needs a 2-D tensor, got ${formatShape(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}

/** `[rows, cols]` a full reduction splits a tensor of any rank into (2-D: itself; else the last axis as columns). */
function rowsCols(shape: Shape): readonly [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return [cols === 0 ? 0 : sizeOf(shape) / cols, cols];
}

/** A same-shape elementwise kernel over any rank. */
function elementwise(rt: Runtime, x: GpujsTensor, key: string, make: (size: number) => K.KernelSource, args: ReadonlyArray<GpujsTensor | number>): GpujsTensor {
  return rt.launch(x.shape, `${key}:${x.size}`, () => make(x.size), args.map((a) => (typeof a === 'number' ? a : storageOf(a))));
}

/** How `b` broadcasts against `a`: `b` of `a`'s shape, or (2-D) `[m, 1]`, `[1, n]` or `[1, 1]`. */
function broadcast(a: Shape, b: Shape): Broadcast | undefined {
  if (sameShape(a, b)) return 'full';
  if (a.length !== 2 || b.length !== 2) return undefined;
  if (b[0] === 1 && b[1] === 1) return 'scalar';
  if (b[0] === a[0] && b[1] === 1) return 'row';
  if (b[0] === 1 && b[1] === a[1]) return 'col';
  return undefined;
}

/** `a op b`, `b` broadcasting. */
export function binary(rt: Runtime, op: '+' | '-' | '*' | '/', name: string, a: GpujsTensor, b: GpujsTensor): GpujsTensor {
  rt.check(a, `${name}(a)`);
  rt.check(b, `${name}(b)`);
  const mode = broadcast(a.shape, b.shape);
  if (mode === undefined) {
    throw new LmoError(
      'SHAPE_MISMATCH',
      `@lmo/gpujs: ${name} cannot broadcast ${formatShape(b.shape)} against ${formatShape(a.shape)} (the right operand must be [m, n], [m, 1], [1, n] or [1, 1])`,
    );
  }
  const args = [storageOf(a), storageOf(b)];
  if (mode === 'full' || mode === 'scalar') return rt.launch(a.shape, `bin:${op}:${mode}:${a.size}`, () => K.binary(1, a.size, op, mode), args);
  const [m, n] = [a.shape[0]!, a.shape[1]!];
  return rt.launch(a.shape, `bin:${op}:${mode}:${m}:${n}`, () => K.binary(m, n, op, mode), args);
}

export function scale(rt: Runtime, x: GpujsTensor, s: number): GpujsTensor {
  rt.check(x, 'scale(x)');
  return elementwise(rt, x, 'scale', K.scale, [x, s]);
}

export function addScalar(rt: Runtime, x: GpujsTensor, s: number): GpujsTensor {
  rt.check(x, 'addScalar(x)');
  return elementwise(rt, x, 'addScalar', K.addScalar, [x, s]);
}

export function axpby(rt: Runtime, alpha: number, x: GpujsTensor, beta: number, y: GpujsTensor): GpujsTensor {
  rt.check(x, 'axpby(x)');
  rt.check(y, 'axpby(y)');
  if (!sameShape(x.shape, y.shape)) {
    throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: axpby of ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
  }
  return elementwise(rt, x, 'axpby', K.axpby, [alpha, x, beta, y]);
}

/** `sign`, `sqrt` or `abs`. */
export function unary(rt: Runtime, op: 'sign' | 'sqrt' | 'abs', x: GpujsTensor): GpujsTensor {
  rt.check(x, `${op}(x)`);
  const make = op === 'sign' ? K.sign : (size: number) => K.unary(size, (v) => `Math.${op}(${v})`);
  return elementwise(rt, x, op, make, [x]);
}

export function transpose(rt: Runtime, x: GpujsTensor): GpujsTensor {
  rt.check(x, 'transpose(x)');
  const [m, n] = matrix(x, 'transpose');
  return rt.launch([n, m], `transpose:${m}:${n}`, () => K.transpose(m, n), [storageOf(x)]);
}

/** One reduction of `[m, n]` along `axis`, dims kept. */
function reduce(rt: Runtime, x: Storage, m: number, n: number, axis: Axis, kind: Reduce, temp: boolean): GpujsTensor {
  const shape = axis === 1 ? [m, 1] : [1, n];
  return rt.launch(shape, `reduce:${kind}:${axis}:${m}:${n}`, () => K.reduce(m, n, axis, kind), [x], temp);
}

/**
 * A full reduction to `[1, 1]`: `first` over each row, then `second` over the rows. The
 * intermediate is freed once the result's launch is issued; with `temp: false` the result is the caller's.
 */
function reduceAll(rt: Runtime, x: Storage, shape: Shape, first: Reduce, second: Reduce, temp: boolean): GpujsTensor {
  const [m, n] = rowsCols(shape);
  if (m === 1) return reduce(rt, x, m, n, 1, first, temp);
  const rows = reduce(rt, x, m, n, 1, first, false);
  const total = reduce(rt, storageOf(rows), m, 1, 0, second, temp);
  rt.free(rows);
  return total;
}

export function sumSquares(rt: Runtime, x: GpujsTensor, axis?: Axis): GpujsTensor {
  rt.check(x, 'sumSquares(x)');
  if (axis === undefined) return reduceAll(rt, storageOf(x), x.shape, 'sumSquares', 'sum', true);
  if (axis !== 0 && axis !== 1) throw new LmoError('INVALID_HYPERPARAMETER', `@lmo/gpujs: sumSquares axis must be 0, 1 or undefined, got ${String(axis)}`);
  const [m, n] = matrix(x, 'sumSquares along an axis');
  return reduce(rt, storageOf(x), m, n, axis, 'sumSquares', true);
}

export function maxAbs(rt: Runtime, x: GpujsTensor): GpujsTensor {
  rt.check(x, 'maxAbs(x)');
  return reduceAll(rt, storageOf(x), x.shape, 'maxAbs', 'max', true);
}

/**
 * The number of NaN and ±Inf values in all of `xs`, as a `[1, 1]` tensor the caller reads and
 * frees (`undefined` when every `x` is empty). Launches are scheduled like any others.
 */
export function nonFiniteCount(rt: Runtime, xs: readonly Checked[]): GpujsTensor | undefined {
  let total: GpujsTensor | undefined;
  for (const x of xs) {
    if (x.storage.empty) continue;
    const count = reduceAll(rt, x.storage, x.shape, 'nonFinite', 'sum', false);
    if (total === undefined) {
      total = count;
      continue;
    }
    const sum = rt.launch([1, 1], 'bin:+:full:1', () => K.binary(1, 1, '+', 'full'), [storageOf(total), storageOf(count)], false);
    rt.free(total);
    rt.free(count);
    total = sum;
  }
  return total;
}

export function matmul(rt: Runtime, a: GpujsTensor, b: GpujsTensor, options: MatmulOptions = {}): GpujsTensor {
  rt.check(a, 'matmul(a)');
  rt.check(b, 'matmul(b)');
  const ta = options.transposeA === true;
  const tb = options.transposeB === true;
  const [ar, ac] = matrix(a, 'matmul');
  const [br, bc] = matrix(b, 'matmul');
  const [m, k] = ta ? [ac, ar] : [ar, ac];
  const [k2, n] = tb ? [bc, br] : [br, bc];
  if (k !== k2) {
    throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: matmul of ${formatShape(a.shape)}${ta ? 'ᵀ' : ''} and ${formatShape(b.shape)}${tb ? 'ᵀ' : ''}`);
  }
  if (k === 0) return rt.zeros([m, n], true);
  return rt.launch([m, n], `matmul:${m}:${n}:${k}:${ta ? 1 : 0}${tb ? 1 : 0}`, () => K.matmul(m, n, k, ta, tb), [storageOf(a), storageOf(b)]);
}
