/**
 * Runs the code under test (a `Norm`) on the Float32Array reference backend and compares with the
 * float64 oracles.
 */
import { expect } from 'vitest';
import type { TensorBackend } from '../../src/backend/contract.js';
import type { Norm } from '../../src/norms/norm.js';
import { createReferenceBackend, referenceBackend, type RefTensor } from '../../src/reference/index.js';
import { matrixView } from '../../src/shape.js';

/** The reference backend as shipped (with whatever fused kernels it offers) and with core's primitive fallback only. */
export const backends: readonly { readonly label: string; readonly backend: TensorBackend<RefTensor, 'sync'> }[] = [
  { label: 'reference', backend: referenceBackend },
  { label: 'reference (primitives only)', backend: createReferenceBackend({ name: 'reference-primitives', fusedNewtonSchulz: false }) },
];

export const ref = referenceBackend;

/** `norm.lmo(g)` on a backend, from float64/float32 values; returns the float32 result and its shape. */
export function runLmo(
  norm: Norm,
  values: ArrayLike<number>,
  shape: readonly number[],
  backend: TensorBackend<RefTensor, 'sync'> = referenceBackend,
): { values: Float32Array; shape: readonly number[] } {
  const g = backend.fromArray(Float32Array.from(values as ArrayLike<number>), shape);
  let out: RefTensor | undefined;
  // What core does: the norm sees the parameter's 2-D matrix view and its shape.
  const done = backend.run(() => {
    out = backend.reshape(norm.lmo(backend, backend.reshape(g, matrixView(shape)), shape), shape);
  });
  if (typeof done !== 'boolean') throw new Error('reference backend must be synchronous');
  if (out === undefined) throw new Error('lmo produced nothing');
  const read = backend.read(out);
  if (read instanceof Promise) throw new Error('reference backend must read synchronously');
  return { values: read, shape: [...backend.shape(out)] };
}

/**
 * Asserts `‖actual − expected‖_∞ ≤ rel·max|expected| + abs`, with a message naming the worst entry.
 * (Relative to the largest entry: elementwise relative error is meaningless for entries near zero.)
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  abs = 0,
  what = '',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let worstAt = -1;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const d = Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e);
    if (d > worst) {
      worst = d;
      worstAt = i;
    }
  }
  const bound = rel * scale + abs;
  if (!(worst <= bound)) {
    expect.fail(
      `${what}: max |actual − expected| = ${worst} at [${worstAt}] (actual ${actual[worstAt]}, expected ${expected[worstAt]}) > ${bound}`,
    );
  }
}

/** Asserts every entry is within `rel` of the expected one, elementwise (for exactly-scaled outputs). */
export function expectElementwise(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= rel * Math.abs(e) + abs)) {
      expect.fail(`${what}: entry [${i}] is ${a}, expected ${e} (rel ${rel}, abs ${abs})`);
    }
  }
}

export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}
