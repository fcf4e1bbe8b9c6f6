/**
 * The tensor contract: the only thing core knows about numbers.
 *
 * A backend binds these primitives to an engine (the Float32Array reference backend, tfjs,
 * onnxruntime, gpu.js, or your own). `T` is the backend's tensor handle, `M` its execution mode.
 * The conformance suite (`@lmo/core/testing`) checks every rule below.
 *
 * **Values.** Tensors are dense, row-major, float32. Operations never change their inputs; only
 * {@link TensorBackend.assign} writes. Results of operations are temporaries of the current
 * {@link TensorBackend.run} scope (an eager engine may free them when the scope ends).
 *
 * **Storage.** A backend that declares {@link TensorBackend.storage} may also store persistent
 * tensors in bfloat16 or float16 (`fromArray`/`zerosLike` with a dtype). The arithmetic stays
 * float32: a 16-bit tensor enters every operation as its exact float32 value, `read` widens it,
 * and an `assign` into it rounds to nearest, ties to even (overflow to ±Inf, NaN kept, float16's
 * subnormals). A backend without `storage` stores float32 only and refuses any other dtype.
 *
 * **Ranks.** Exactly these primitives see tensors of any rank, the scalar `[]` included:
 * `isTensor`, `fromArray`, `read`, `shape`, `zerosLike`, `reshape`, `assign`, `dispose` and
 * `allFinite`. Every other primitive (the arithmetic, the reductions, `transpose`, `matmul`, the
 * fused kernels) receives **2-D** tensors `[m, n]` only: core views every parameter as a matrix
 * first (rank 0 → `[1, 1]`, rank 1 → `[1, n]`, rank ≥ 3 → `[d₀, d₁·…]`, see `matrixView`).
 *
 * **Broadcasting.** The right operand of `add`, `sub`, `mul` and `div` is `[m, n]` (the left
 * operand's shape), `[m, 1]` (one value per row), `[1, n]` (one value per column) or `[1, 1]`.
 * Reductions keep dimensions: a full reduction of `[m, n]` is `[1, 1]`.
 *
 * **Execution.** A `'sync'` backend computes each primitive at once and returns plain values from
 * `read`, `allFinite` and `run`. An `'async'` backend may record primitives and compute later; its
 * `read`, `allFinite` and `run` return Promises and are carried out in call order: a `run`'s
 * function is called when every earlier `run`, `read` and `allFinite` of the backend has finished,
 * so what it computes sees their effects (`DeferredExecution` in `@lmo/core/backend` implements
 * this for compiling engines).
 */
export type Shape = readonly number[];

/** How a backend delivers results: at once (`'sync'`), or as Promises in call order (`'async'`). */
export type ExecutionMode = 'sync' | 'async';

/**
 * What a primitive of a backend in mode `M` returns for a value `V`: `V` when synchronous, a
 * `Promise<V>` when asynchronous, and either when the mode is not known statically.
 */
export type Result<M extends ExecutionMode, V> = M extends 'sync' ? V : Promise<V>;

/** A value or a promise of it. */
export type MaybePromise<V> = V | Promise<V>;

/**
 * What a persistent tensor stores its values in: `'float32'` (every backend), or a 16-bit format
 * where the engine has it: `'bfloat16'` (float32's upper half: 8 exponent bits, 7 mantissa bits)
 * or `'float16'` (IEEE binary16: 5 exponent bits, 10 mantissa bits, subnormals down to 2⁻²⁴).
 */
export type StorageDtype = 'float32' | 'bfloat16' | 'float16';

/**
 * Optional 16-bit storage ({@link TensorBackend.storage}). The arithmetic is float32 throughout;
 * only persistent tensors are stored narrower, and a write rounds into them.
 */
export interface StorageSupport<T> {
  /** The dtypes persistent tensors may be stored in, `'float32'` among them. */
  readonly dtypes: readonly StorageDtype[];
  /** Whether {@link StorageSupport.round} takes a seed (stochastic rounding). */
  readonly stochasticRounding: boolean;
  /**
   * A tensor's storage dtype: a persistent tensor's own, `reshape` keeps its input's, and every
   * other operation's result is `'float32'`.
   */
  dtype(x: T): StorageDtype;
  /**
   * `x` (2-D, any dtype) rounded to the values `dtype` holds, as a float32 result: to nearest, ties
   * to even (as `assign` rounds); or, with `seed` (when {@link StorageSupport.stochasticRounding}),
   * stochastically: each `lo < x < hi` between neighbours of `dtype` becomes `hi` with probability
   * `(x − lo)/(hi − lo)`, so `E[round(x)] = x`, drawn from a stream fixed by the seed (the same
   * seed and shape give the same result). `'float32'` returns `x`'s values.
   */
  round(x: T, dtype: StorageDtype, seed?: number): T;
}

/** Options for {@link TensorBackend.matmul}. */
export interface MatmulOptions {
  /** Use `aᵀ` instead of `a`. */
  readonly transposeA?: boolean;
  /** Use `bᵀ` instead of `b`. */
  readonly transposeB?: boolean;
}

/** Reduction axis: `0` reduces over rows (result `[1, n]`, one value per column), `1` over columns (`[m, 1]`). */
export type Axis = 0 | 1;

/** The coefficients `(a, b, c)` of one step of an odd matrix polynomial `X ← a·X + b·(XXᵀ)X + c·(XXᵀ)²X`. */
export type PolynomialCoefficients = readonly [a: number, b: number, c: number];

/**
 * Which Gram matrix a polynomial step forms: `'left'` (`A = X·Xᵀ`, `X ← a·X + B·X`, for
 * `rows ≤ cols`) or `'right'` (`A = Xᵀ·X`, `X ← a·X + X·B`, for `rows > cols`); the two give
 * the same polynomial of `X`, the smaller `A` being cheaper.
 */
export type GramSide = 'left' | 'right';

/** Options of {@link TensorBackend.run}. */
export interface RunOptions<T> {
  /**
   * Tensors that must be all finite for the scope to take effect. The backend checks them before
   * applying any `assign` of the scope (an async backend within the same turn); when one holds a
   * NaN or ±Inf nothing is written and `run` yields `false`.
   */
  readonly guard?: readonly T[];
  /**
   * Called once the scope's assigns have been applied, before anything issued later runs (for
   * bookkeeping that must move in step with the tensors, like a step counter). Not called when
   * the scope throws, fails or is vetoed by its guard.
   */
  readonly onCommit?: () => void;
}

/**
 * Optional fused kernels of bounded size. Core falls back to the primitives when one is absent;
 * a kernel receives the plan's data and never restates it.
 */
export interface FusedKernels<T> {
  /**
   * The polynomial steps of an orthogonalization on a batch of matrices of one shape, already
   * normalized by core. For each triple `(a, b, c)` in order, on `'left'`:
   * `A = X·Xᵀ; B = b·A + c·A·A; X ← a·X + B·X`; on `'right'`: `A = Xᵀ·X; B = b·A + c·A·A;
   * X ← a·X + X·B`. Returns one new tensor per input, of the input's shape.
   */
  newtonSchulz?(xs: readonly T[], coefficients: readonly PolynomialCoefficients[], side: GramSide): T[];
}

/**
 * Optional access to the host arrays of a backend whose tensors live in CPU memory (onnxruntime's
 * persistent tensors): a host function runs over tensors' values in call order, without copies,
 * and hands back new arrays for its targets, again without copies. Core runs work that is cheaper
 * as one pass over flat memory than as a graph of primitives here (AdamW's WebAssembly kernel).
 */
export interface HostArrays<T, M extends ExecutionMode = ExecutionMode> {
  /**
   * When its turn comes (like {@link TensorBackend.run}: after everything issued before), calls
   * `fn` with the current values of `inputs`, row-major (the backend's own arrays: `fn` must not
   * change them), and makes each of `targets` (persistent tensors) hold the array `fn` returns for
   * it, taken over without a copy (the caller must not change it afterwards). When `fn` returns
   * `undefined` or throws, nothing is written. Yields whether the targets were written. A 16-bit
   * input comes widened to float32 (a copy), and a 16-bit target rounds its array as `assign` does.
   * The backend never changes an array in place once it has handed it out or taken it over (new
   * values come as another array), so an input that is the very array `fn` returned for that
   * tensor in an earlier call still holds what it returned: core's AdamW then skips copying it in.
   */
  run(inputs: readonly T[], targets: readonly T[], fn: (arrays: readonly Float32Array[]) => readonly Float32Array[] | undefined): Result<M, boolean>;
}

/** The tensor contract. See the module documentation for the rules every primitive follows. */
export interface TensorBackend<T, M extends ExecutionMode = ExecutionMode> {
  /** A short name for messages, e.g. `"reference"`, `"tfjs-wasm"`. */
  readonly name: string;
  /** Whether results come at once or as Promises (see {@link ExecutionMode}). */
  readonly mode: M;

  // ---- data (any rank) -------------------------------------------------------------------------
  /** Whether `x` is a live tensor of this backend (not disposed, its data consistent with its shape). */
  isTensor(x: unknown): x is T;
  /**
   * A new persistent tensor holding a copy of `data` (row-major) with the given shape, stored in
   * `dtype` (default `'float32'`; a 16-bit dtype rounds to nearest, ties to even). Throws a
   * `SHAPE_MISMATCH` `LmoError` when `data`'s length is not the size of `shape`, and a `BACKEND`
   * one for a dtype the backend does not store (never a silent float32 fallback).
   */
  fromArray(data: Float32Array, shape: Shape, dtype?: StorageDtype): T;
  /** The tensor's values, row-major, as float32 (a copy the caller may keep; 16-bit ones widened exactly). */
  read(x: T): Result<M, Float32Array>;
  /** The tensor's shape. */
  shape(x: T): Shape;
  /**
   * A new persistent, assignable tensor of zeros with `x`'s shape, stored in `dtype` (default: `x`'s
   * storage dtype); optimizer state lives in these. Refuses a dtype it does not store, like `fromArray`.
   */
  zerosLike(x: T, dtype?: StorageDtype): T;
  /** The same values viewed with another shape of equal size (and the same storage dtype). */
  reshape(x: T, shape: Shape): T;

  // ---- elementwise (2-D) -----------------------------------------------------------------------
  /** `xᵀ`. */
  transpose(x: T): T;
  /** `a + b`; `b` broadcasts. */
  add(a: T, b: T): T;
  /** `a − b`; `b` broadcasts. */
  sub(a: T, b: T): T;
  /** `a ⊙ b`; `b` broadcasts. */
  mul(a: T, b: T): T;
  /** `a ⊘ b`; `b` broadcasts. IEEE semantics (`1/0 = Inf`, `0/0 = NaN`). */
  div(a: T, b: T): T;
  /** `s · x`. */
  scale(x: T, s: number): T;
  /** `x + s` elementwise. */
  addScalar(x: T, s: number): T;
  /** `α·x + β·y` (same shape). */
  axpby(alpha: number, x: T, beta: number, y: T): T;
  /** `sign(x)` with `sign(±0) = 0`; NaN stays NaN. */
  sign(x: T): T;
  /** `√x`. */
  sqrt(x: T): T;
  /** `|x|`. */
  abs(x: T): T;

  // ---- reductions (2-D, dims kept) -------------------------------------------------------------
  /** `Σ x²` over `axis`, or over all elements as `[1, 1]`. */
  sumSquares(x: T, axis?: Axis): T;
  /** `max |x|` over all elements as `[1, 1]`; NaN when any element is NaN. */
  maxAbs(x: T): T;
  /** Whether no element of any of `xs` (any rank) is NaN or ±Inf. */
  allFinite(xs: readonly T[]): Result<M, boolean>;

  // ---- linear algebra (2-D) --------------------------------------------------------------------
  /** `op(a) · op(b)`, `op` being the identity or the transpose. */
  matmul(a: T, b: T, options?: MatmulOptions): T;

  // ---- memory and effects ----------------------------------------------------------------------
  /**
   * Write `value`'s contents into the persistent tensor `target` (same shape), rounded to nearest,
   * ties to even, into `target`'s storage dtype (exact for float32, and for values already rounded
   * with `storage.round`).
   */
  assign(target: T, value: T): void;
  /**
   * Free a persistent tensor (state buffers, tensors made by `fromArray`/`zerosLike`). On an
   * `'async'` backend it takes effect in call order: a run or read issued before still sees `x`.
   */
  dispose(x: T): void;
  /**
   * Runs `fn` as one all-or-nothing scope (tfjs: `tidy`; a compiling engine: record, compile once
   * per structure, execute). Temporaries made inside are released when it ends. Its assigns take
   * effect only if `fn` returns normally, the engine succeeds and the guard holds; otherwise
   * nothing is written. Yields whether the assigns were applied (`false` only through `guard`).
   */
  run(fn: () => void, options?: RunOptions<T>): Result<M, boolean>;

  /** Optional fused kernels. */
  readonly fused?: FusedKernels<T>;
  /** Optional: host arrays, for a backend whose tensors live in CPU memory (see {@link HostArrays}). */
  readonly host?: HostArrays<T, M>;
  /** Optional: 16-bit storage of persistent tensors (see {@link StorageSupport}). Absent: float32 only. */
  readonly storage?: StorageSupport<T>;
}
