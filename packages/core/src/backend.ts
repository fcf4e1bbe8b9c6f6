/**
 * The tensor contract: the only thing core knows about numbers.
 *
 * A backend binds these primitives to an engine (the Float32Array reference backend, tfjs,
 * onnxruntime, gpu.js, or your own). `T` is the backend's own tensor handle.
 *
 * Conventions every backend must follow (the conformance suite in `@lmo/core/testing` checks them):
 * - Tensors are dense, row-major, float32.
 * - The optimizer's math only ever calls the arithmetic primitives on **2-D** tensors `[m, n]`;
 *   N-D tensors (biases, conv kernels) are reshaped to 2-D first. `reshape`, `fromArray`,
 *   `zerosLike`, `assign` and `read` must handle any rank (including 0-D scalars and 1-D).
 * - Operations never mutate their inputs. Only {@link TensorBackend.assign} writes.
 * - Results of operations are temporaries owned by the current {@link TensorBackend.run} scope
 *   (eager backends may free them when the scope ends; garbage-collected backends may ignore it).
 * - Broadcasting is limited to what the optimizers need: the right operand of `mul`/`div` may be
 *   `[m, n]` (same shape), `[m, 1]` (one value per row), `[1, n]` (one value per column) or `[1, 1]`.
 * - Reductions keep dimensions: a full reduction of `[m, n]` is `[1, 1]`.
 *
 * Synchronous and asynchronous engines: every primitive returns a handle synchronously. An eager
 * backend computes at once; a compiling backend (onnxruntime, gpu.js pipelines) may return symbolic
 * handles and evaluate them when {@link TensorBackend.run} ends or {@link TensorBackend.read} is
 * called. `run` and `read` therefore return either a value or a Promise of it ({@link MaybePromise}).
 */
export type Shape = readonly number[];

/** A value or a promise of it: what sync (eager) and async (compiling) backends return. */
export type MaybePromise<V> = V | Promise<V>;

/** Options for {@link TensorBackend.matmul}. */
export interface MatmulOptions {
  /** Use `aᵀ` instead of `a`. */
  readonly transposeA?: boolean;
  /** Use `bᵀ` instead of `b`. */
  readonly transposeB?: boolean;
}

/** Reduction axis: `0` reduces over rows (result `[1, n]`, one value per column), `1` over columns (`[m, 1]`), none over all (`[1, 1]`). */
export type Axis = 0 | 1;

/** One step of an odd matrix polynomial `X ← a·X + (b·A + c·A²)·X` with `A = X·Xᵀ`. */
export type NewtonSchulzCoefficients = readonly [a: number, b: number, c: number];

/** Optional fused kernels. Core falls back to the primitives when a kernel is absent. */
export interface FusedKernels<T> {
  /**
   * Orthogonalize a 2-D `x` with `m ≤ n` (core transposes tall inputs before calling):
   * `X ← x / (‖x‖_F · normScale + normEps)`, then for each coefficient triple `(a, b, c)`:
   * `A = X·Xᵀ; B = b·A + c·A·A; X = a·X + B·X`. Returns `X`.
   */
  newtonSchulz?(x: T, coefficients: readonly NewtonSchulzCoefficients[], normScale: number, normEps: number): T;
}

/** The tensor contract. See the module documentation for the conventions. */
export interface TensorBackend<T> {
  /** A short name for messages, e.g. `"reference"`, `"tfjs-wasm"`. */
  readonly name: string;

  // ---- data ----------------------------------------------------------------------------------
  /** A new persistent tensor holding a copy of `data` (row-major) with the given shape. */
  fromArray(data: Float32Array, shape: Shape): T;
  /** The tensor's values, row-major (a copy the caller may keep). */
  read(x: T): MaybePromise<Float32Array>;
  /** The tensor's shape. */
  shape(x: T): Shape;
  /** A new persistent, assignable tensor of zeros with `x`'s shape (optimizer state lives in these). */
  zerosLike(x: T): T;
  /** The same values viewed with another shape of equal size. */
  reshape(x: T, shape: Shape): T;
  /** `xᵀ` of a 2-D tensor. */
  transpose(x: T): T;

  // ---- elementwise ---------------------------------------------------------------------------
  /** `a + b` (same shape). */
  add(a: T, b: T): T;
  /** `a − b` (same shape). */
  sub(a: T, b: T): T;
  /** `a ⊙ b`; `b` may broadcast (see conventions). */
  mul(a: T, b: T): T;
  /** `a ⊘ b`; `b` may broadcast (see conventions). */
  div(a: T, b: T): T;
  /** `s · x`. */
  scale(x: T, s: number): T;
  /** `x + s` elementwise. */
  addScalar(x: T, s: number): T;
  /** `α·x + β·y` (same shape). */
  axpby(alpha: number, x: T, beta: number, y: T): T;
  /** `sign(x)` with `sign(0) = 0` (and NaN stays NaN). */
  sign(x: T): T;
  /** `√x` elementwise. */
  sqrt(x: T): T;
  /** `|x|` elementwise. */
  abs(x: T): T;

  // ---- reductions (keep dims) -----------------------------------------------------------------
  /** `Σ x²` over `axis` (or all), dims kept. */
  sumSquares(x: T, axis?: Axis): T;
  /** `max |x|` over all elements, as `[1, 1]`. */
  maxAbs(x: T): T;
  /** Whether every element of every tensor is finite (no NaN, no ±Inf). */
  allFinite(xs: readonly T[]): MaybePromise<boolean>;

  // ---- linear algebra ------------------------------------------------------------------------
  /** `op(a) · op(b)` of 2-D tensors, `op` being the identity or the transpose. */
  matmul(a: T, b: T, options?: MatmulOptions): T;

  // ---- memory and effects --------------------------------------------------------------------
  /** Write `value`'s contents into the persistent tensor `target` (same size). */
  assign(target: T, value: T): void;
  /** Free a persistent tensor (state buffers, tensors made by `fromArray`/`zerosLike`). */
  dispose(x: T): void;
  /**
   * Run `fn` as one execution scope (tfjs: `tidy`; a compiling backend: trace, compile once per
   * structure, execute). Temporaries created inside are released when it ends. Core computes every
   * new value first and issues all its `assign`s last, so a step that throws assigns nothing; a
   * compiling backend applies the recorded `assign`s only once execution has succeeded.
   */
  run(fn: () => void): MaybePromise<void>;

  /** Optional fused kernels. */
  readonly fused?: FusedKernels<T>;
}

/** `then` for values that may or may not be promises: stays synchronous when `v` is. */
export function andThen<A, B>(v: MaybePromise<A>, f: (a: A) => MaybePromise<B>): MaybePromise<B> {
  return v instanceof Promise ? v.then(f) : f(v);
}
