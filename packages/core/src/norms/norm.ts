import type { Shape, TensorBackend } from '../backend.js';
import { LmoError } from '../errors.js';
import type { Random } from '../random.js';

import { sizeOf } from '../shape.js';

/** The names of the built-in norms. */
export type NormKind =
  | 'sign'
  | 'spectral'
  | 'colNorm'
  | 'rowNorm'
  | 'biasRMS'
  | 'spectralConv'
  | 'frobenius'
  | 'auto'
  | 'transposed';

/**
 * A norm on a parameter's space, given by its linear minimization oracle and a matching init.
 *
 * `lmo(g)` returns the direction `u` of the norm's unit ball that is most aligned with `g`:
 * `u = argmax_{‖u‖ ≤ 1} ⟨g, u⟩`, so `⟨g, lmo(g)⟩ = ‖g‖_*` (the dual norm). Like the reference
 * implementation it returns the **+direction**; the update rule subtracts `γ·ρ·lmo(d)`.
 */
export interface Norm {
  /** Which norm this is. */
  readonly kind: NormKind;
  /** The options it was built with (JSON-safe; used in configs and error messages). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Throws an `UNSUPPORTED_SHAPE` {@link LmoError} naming `param` if the norm cannot handle `shape`. */
  check(shape: Shape, param: string): void;
  /** The LMO of `g` (any shape the norm accepts), a new tensor of `g`'s shape. */
  lmo<T>(backend: TensorBackend<T>, g: T): T;
  /**
   * Initial values before the group's scale, row-major, deterministic for `rng`: the reference's
   * init for this norm (on the unit sphere for sign, spectral, colNorm, rowNorm and frobenius; zeros
   * for biasRMS; per-tap orthogonal for spectralConv, whose norm is then √K for K taps when out ≤ in).
   */
  init(shape: Shape, rng: Random): Float32Array;
}

/** Rejects shapes whose rank is not in `ranks`, and empty shapes. */
export function requireRank(kind: string, shape: Shape, param: string, ranks: readonly number[], hint: string): void {
  if (!ranks.includes(shape.length)) {
    throw new LmoError(
      'UNSUPPORTED_SHAPE',
      `norm ${kind} cannot be applied to parameter "${param}" of shape [${shape.join(', ')}]: expected ${hint}`,
    );
  }
  if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new LmoError(
      'UNSUPPORTED_SHAPE',
      `norm ${kind}: parameter "${param}" has shape [${shape.join(', ')}]; every dimension must be a positive integer`,
    );
  }
}


/** `[rows, cols]` of a 2-D shape. */
export function dims2(shape: Shape): [number, number] {
  return [shape[0]!, shape[1]!];
}

/** Validates a boolean option. */
export function boolOption(kind: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: option "${name}" must be a boolean, got ${String(value)}`);
  }
  return value;
}

/** Validates a positive-integer option. */
export function intOption(kind: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: option "${name}" must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Applies a 2-D computation to a tensor of any rank by viewing it as `view` (same size) and
 * reshaping the result back. Returns `fn(g)` untouched when `g` already has the view's shape.
 */
export function viewAs<T>(backend: TensorBackend<T>, g: T, view: readonly [number, number], fn: (g2: T) => T): T {
  const shape = backend.shape(g);
  if (shape.length === 2 && shape[0] === view[0] && shape[1] === view[1]) return fn(g);
  return backend.reshape(fn(backend.reshape(g, view)), shape);
}

/** Views any tensor as a single row `[1, size]`. */
export function rowView(shape: Shape): [number, number] {
  return [1, sizeOf(shape)];
}
