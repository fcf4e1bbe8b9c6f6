/**
 * What every check of the conformance suite shares: tolerances, the context a check runs in, and
 * input generators.
 */
import type { Shape, TensorBackend } from '../../backend/contract.js';
import type { Random } from '../../random.js';
import { randn, type Host } from '../harness.js';

/** Tolerances of the suite (see `ConformanceOptions.tolerance`). */
export interface ConformanceTolerances {
  /** Elementwise ops: `|got − want| ≤ tol·|want|`. Default `1e-5`. */
  readonly elementwise: number;
  /** Reductions over `n` values: `|got − want| ≤ tol·√n·|want|`. Default `1e-5`. */
  readonly reduction: number;
  /**
   * Matmul: `|got − want| ≤ tol·‖row i of op(a)‖·‖column j of op(b)‖` (≈ `tol·√k` times the typical
   * entry). Default `1e-4`. TF32 or half-precision engines need about `1e-2`.
   */
  readonly matmul: number;
  /** Fused Newton–Schulz: `‖got − want‖_F ≤ tol·‖want‖_F`. Default `1e-4`. */
  readonly newtonSchulz: number;
}

export const DEFAULT_TOLERANCES: ConformanceTolerances = {
  elementwise: 1e-5,
  reduction: 1e-5,
  matmul: 1e-4,
  newtonSchulz: 1e-4,
};

/** What a check body receives. */
export interface CheckContext<T> {
  readonly b: TensorBackend<T>;
  readonly tol: ConformanceTolerances;
  readonly rng: Random;
  readonly id: string;
}

/**
 * One check. `needs` names an optional capability; without it the check is skipped: a fused
 * kernel, asynchronous mode, or a storage dtype (`storage.bfloat16`, `storage.float16`, with
 * `.stochastic` for stochastic rounding into it).
 */
export interface Check {
  readonly id: string;
  readonly needs?: 'fused.newtonSchulz' | 'mode.async' | `storage.${'bfloat16' | 'float16'}` | `storage.${'bfloat16' | 'float16'}.stochastic`;
  run<T>(ctx: CheckContext<T>): Promise<void>;
}

/** `f` applied to every value of `h`, in float64. */
export function map64(h: Host, f: (x: number, i: number) => number): Float64Array {
  const out = new Float64Array(h.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(h.data[i]!, i);
  return out;
}

/** The value of `b` (`[m, n]`, `[m, 1]`, `[1, n]` or `[1, 1]`) broadcast at flat index `i` of `[m, n]`. */
export function bcast(b: Host, m: number, n: number, i: number): number {
  const [bm, bn] = b.shape as [number, number];
  const r = bm === 1 ? 0 : Math.floor(i / n);
  const c = bn === 1 ? 0 : i % n;
  return b.data[r * bn + c]!;
}

/** N(0,1) values with some exact zeros and some large and tiny magnitudes mixed in. */
export function mixed(rng: Random, shape: Shape): Host {
  const h = randn(rng, shape);
  for (let i = 0; i < h.data.length; i++) {
    const u = rng.uniform();
    if (u < 0.1) h.data[i] = 0;
    else if (u < 0.15) h.data[i]! *= 1e3;
    else if (u < 0.2) h.data[i]! *= 1e-3;
  }
  return h;
}

/** Sets one value of a host tensor. */
export function poke(h: Host, i: number, v: number): Host {
  h.data[i] = v;
  return h;
}

/**
 * The 2-D shapes the arithmetic checks run on (edge cases included). The square one catches a
 * backend that confuses the two axes where the shapes alone cannot tell them apart (a reduction
 * along the wrong axis, a row broadcast down the columns).
 */
export const SHAPES_2D: readonly Shape[] = [
  [1, 1],
  [1, 9],
  [9, 1],
  [3, 5],
  [6, 6],
  [17, 33],
];

/** Shapes of every rank the data primitives must handle, the scalar included. */
export const ANY_RANK_SHAPES: readonly Shape[] = [[], [5], [3, 4], [2, 3, 4], [2, 1, 3, 2]];

/** Runs `body` on persistent tensors made from `hosts`, and disposes them afterwards whatever happens. */
export async function withTensors<T>(b: TensorBackend<T>, hosts: readonly Host[], body: (...xs: T[]) => Promise<void>): Promise<void> {
  const xs = hosts.map((h) => b.fromArray(h.data, h.shape));
  try {
    await body(...xs);
  } finally {
    for (const x of xs) b.dispose(x);
  }
}
