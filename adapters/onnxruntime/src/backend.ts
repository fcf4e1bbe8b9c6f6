/**
 * The onnxruntime backend: a lazy tensor backend whose primitives build an ONNX graph. Core's
 * `DeferredExecution` runs the scopes in call order; {@link GraphRunner} compiles and runs them.
 */
import type * as ort from 'onnxruntime-common';
import type { Shape, StorageDtype, TensorBackend } from '@lmo/core';
import {
  DeferredExecution,
  encodeHalf,
  type Axis,
  type FusedKernels,
  type GramSide,
  type HostArrays,
  type MatmulOptions,
  type PolynomialCoefficients,
  type RunOptions,
  type StorageSupport,
} from '@lmo/core/backend';
import { checkDtype, newtonSchulzSteps, storedDtypes, require2d, roundAttributes, sameShape, shapeError } from './arguments.js';
import { GraphRunner, backendError, describe, type Resolved } from './execution.js';
import { Leaf, OnnxTensor, OpNode, ScalarInput, Variable, sizeOf, type GraphNode, type HostData, type OpAttributes, type OpType } from './graph/nodes.js';
import { sessionOptions, type OnnxBackendOptions } from './options.js';
import { SessionCache, type OnnxBackendStats, type OrtApi } from './session-cache.js';

/**
 * A lazy, asynchronous tensor backend over onnxruntime.
 *
 * - Every op returns a symbolic node; numbers become scalar graph inputs, so the structure of a
 *   graph never depends on numeric values (a changing learning rate never recompiles).
 * - {@link OnnxBackend.run} is queued behind every earlier run and read; in its turn `fn` records
 *   the assigned values, which are compiled into one ONNX graph (cached by structure: op
 *   sequence, attributes, shapes), run, and written into their targets only when that succeeds.
 * - Persistent tensors (`fromArray`, `zerosLike`) keep their values in CPU `Float32Array`s fed to
 *   onnxruntime without copying; an assignment swaps in the output buffer.
 * - 16-bit storage (`storage`): a bfloat16 or float16 tensor keeps its bits in a `Uint16Array`,
 *   fed as an onnxruntime `float16` tensor, or for bfloat16 as `uint16` that the graph `BitCast`s
 *   (opset 26: onnxruntime's JavaScript API has no bfloat16 tensors); the graph `Cast`s it to
 *   float32 where it is read and a value written into it back (to nearest even), so no float32
 *   copy of it is ever kept. Stochastic rounding (`storage.round` with a seed) runs on the host,
 *   from the stream of `roundStochastic` in `@lmo/core/backend`, like the reference backend's.
 *   Only on the cpu and wasm execution providers: on any other (webgpu) `storage.dtypes` is
 *   float32 alone, and a 16-bit tensor is refused with a `BACKEND` error.
 */
export class OnnxBackend implements TensorBackend<OnnxTensor, 'async'> {
  readonly name: string;
  readonly mode = 'async' as const;
  /** Live counters: sessions compiled and released, runs, cache hits, compile time. */
  readonly stats: OnnxBackendStats = { sessionsCreated: 0, sessionsReleased: 0, runs: 0, cacheHits: 0, compileMs: 0, runMs: 0 };
  readonly #cache: SessionCache;
  readonly #ort: OrtApi;
  /** The execution providers, as the backend's name shows them (`cpu`, `wasm+webgpu`, …). */
  readonly #providers: string;
  readonly #runner: GraphRunner;
  readonly #deferred: DeferredExecution<OnnxTensor>;
  /** The fused kernels offered to core (see {@link OnnxBackendOptions.fusedNewtonSchulz}). */
  readonly fused: FusedKernels<OnnxTensor>;
  /**
   * The persistent tensors' CPU arrays, for host code that runs in call order (core's AdamW runs
   * here as one WebAssembly pass instead of a graph): see `HostArrays` in `@lmo/core/backend`.
   */
  readonly host: HostArrays<OnnxTensor, 'async'> = { run: (inputs, targets, fn) => this.#hostRun(inputs, targets, fn) };
  /** 16-bit storage: bfloat16 and float16, and stochastic rounding (see the class documentation). */
  readonly storage: StorageSupport<OnnxTensor>;

  /** Use `onnxBackend()` from `@lmo/onnxruntime` or `@lmo/onnxruntime/web`. */
  constructor(options: OnnxBackendOptions & { readonly ort: OrtApi }) {
    const providers = options.executionProviders ?? ['cpu'];
    const names = providers.map((p) => (typeof p === 'string' ? p : p.name));
    this.#providers = names.join('+');
    const dtypes = storedDtypes(names);
    this.storage = {
      dtypes,
      stochasticRounding: true,
      dtype: (x) => (x instanceof Variable || x instanceof Leaf ? x.dtype : 'float32'),
      round: (x, dtype, seed) => {
        checkDtype(dtype, 'storage.round', dtypes, this.#providers);
        return this.#op('Round', [x], require2d(x, 'storage.round'), roundAttributes(dtype, seed));
      },
    };
    this.#ort = options.ort;
    this.#cache = new SessionCache(options.ort, sessionOptions(options), this.stats);
    this.#runner = new GraphRunner(options.ort, this.#cache, this.stats, (x) => this.#resolve(x));
    this.#deferred = new DeferredExecution(this.#runner);
    this.fused = options.fusedNewtonSchulz === false ? {} : { newtonSchulz: (xs, coefficients, side) => this.#newtonSchulz(xs, coefficients, side) };
    this.name = `onnxruntime-${this.#providers}`;
  }

  /** Number of open sessions: compiled step graphs, and those made by {@link OnnxBackend.createSession}. */
  get sessionCount(): number {
    return this.#cache.size;
  }

  /** The onnxruntime module this backend runs on (its `Tensor` wraps feeds for {@link OnnxBackend.createSession}'s sessions). */
  get ort(): OrtApi {
    return this.#ort;
  }

  /**
   * An onnxruntime session for a model of your own (a training graph, say), with this backend's
   * execution providers and session options, `options` merged over them. It counts in
   * {@link OnnxBackend.stats} and {@link OnnxBackend.sessionCount} until
   * {@link OnnxBackend.releaseSession} or {@link OnnxBackend.close} releases it.
   */
  createSession(model: Uint8Array, options?: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
    return this.#cache.create(model, options);
  }

  /** Releases a session made by {@link OnnxBackend.createSession}. */
  releaseSession(session: ort.InferenceSession): Promise<void> {
    return this.#cache.release(session);
  }

  // ---- data ------------------------------------------------------------------------------------

  isTensor(x: unknown): x is OnnxTensor {
    return x instanceof OnnxTensor && !(x instanceof Variable && x.data === null);
  }

  fromArray(data: Float32Array, shape: Shape, dtype: StorageDtype = 'float32'): OnnxTensor {
    const dims = this.#checkShape(shape, 'fromArray');
    checkDtype(dtype, 'fromArray', this.storage.dtypes, this.#providers);
    if (!(data instanceof Float32Array)) throw shapeError(`fromArray needs a Float32Array, got ${Object.prototype.toString.call(data)}`);
    if (data.length !== sizeOf(dims)) throw shapeError(`fromArray got ${data.length} values for shape ${describe(dims)} (${sizeOf(dims)} expected)`);
    return new Variable(dtype === 'float32' ? Float32Array.from(data) : encodeHalf(data, dtype), dims, dtype);
  }

  /**
   * A persistent tensor over `data` itself, without the copy `fromArray` makes: the caller hands
   * the array over (an onnxruntime output, say) and must not change it afterwards. Assigning such
   * a tensor into another one inside `run` swaps the array in, again without a copy. A 16-bit
   * tensor adopts its raw bits: a `Uint16Array` with `dtype` `'bfloat16'` or `'float16'`.
   */
  adopt(data: Float32Array | Uint16Array, shape: Shape, dtype: StorageDtype = 'float32'): OnnxTensor {
    const dims = this.#checkShape(shape, 'adopt');
    checkDtype(dtype, 'adopt', this.storage.dtypes, this.#providers);
    const kind = dtype === 'float32' ? Float32Array : Uint16Array;
    if (!(data instanceof kind)) throw shapeError(`adopt needs a ${kind.name} for ${dtype} data, got ${Object.prototype.toString.call(data)}`);
    if (data.length !== sizeOf(dims)) throw shapeError(`adopt got ${data.length} values for shape ${describe(dims)} (${sizeOf(dims)} expected)`);
    return new Variable(data, dims, dtype);
  }

  read(x: OnnxTensor): Promise<Float32Array> {
    this.#own(x, 'read');
    return this.#deferred.enqueue(async () => {
      const r = this.#resolve(x);
      const [values] = await this.#runner.evaluate([r]);
      // a float32 array is the tensor's own (or a graph output): copy it; a widened one is new
      return r instanceof Leaf && r.dtype !== 'float32' ? (values as Float32Array) : (values as Float32Array).slice();
    });
  }

  /**
   * The values of several tensors, in call order like {@link OnnxBackend.read}, but without copies:
   * a persistent tensor yields its current array itself, a lazy one the output of one graph run for
   * all of them. Feed them to another onnxruntime session as they are (`new ort.Tensor('float32',
   * array, shape)` wraps an array without copying it). The arrays must not be changed: this backend
   * never writes an array in place (an assignment swaps in a new one), so each is an immutable
   * snapshot of the tensor at this point of the call order. A 16-bit tensor yields its values
   * widened into a new array (see {@link OnnxBackend.stored} for its own bits).
   */
  arrays(xs: readonly OnnxTensor[]): Promise<Float32Array[]> {
    xs.forEach((x, i) => this.#own(x, `arrays(xs[${i}])`));
    return this.#deferred.enqueue(() => this.#runner.evaluate(xs.map((x) => this.#resolve(x)))) as Promise<Float32Array[]>;
  }

  /**
   * Like {@link OnnxBackend.arrays}, but each tensor as it is stored, without copies: a float32
   * array, or a 16-bit tensor's own bits (a `Uint16Array`, fed to onnxruntime as `float16`, or for
   * bfloat16 as `uint16` that a graph `BitCast`s to `bfloat16`). Lazy tensors are float32.
   */
  stored(xs: readonly OnnxTensor[]): Promise<Array<{ readonly dtype: StorageDtype; readonly data: HostData }>> {
    xs.forEach((x, i) => this.#own(x, `stored(xs[${i}])`));
    return this.#deferred.enqueue(async () => {
      const nodes = xs.map((x) => this.#resolve(x));
      const dtypes = nodes.map((n) => (n instanceof Leaf ? n.dtype : 'float32'));
      const data = await this.#runner.evaluate(nodes, dtypes);
      return data.map((d, i) => ({ dtype: dtypes[i]!, data: d }));
    });
  }

  shape(x: OnnxTensor): Shape {
    return x.shape;
  }

  zerosLike(x: OnnxTensor, dtype: StorageDtype = this.storage.dtype(x)): OnnxTensor {
    this.#own(x, 'zerosLike');
    checkDtype(dtype, 'zerosLike', this.storage.dtypes, this.#providers);
    const size = sizeOf(x.shape);
    return new Variable(dtype === 'float32' ? new Float32Array(size) : new Uint16Array(size), x.shape, dtype);
  }

  reshape(x: OnnxTensor, shape: Shape): OnnxTensor {
    const size = sizeOf(x.shape);
    const dims = this.#checkShape(shape, 'reshape');
    if (sizeOf(dims) !== size) throw shapeError(`cannot reshape ${describe(x.shape)} to ${describe(shape)}`);
    const r = this.#resolve(x);
    if (sameShape(r.shape, dims)) return r;
    // A reshape of CPU data is a view of the same (immutable) buffer, in the same dtype.
    if (r instanceof Leaf) return new Leaf(r.data, dims, r.dtype);
    return new OpNode('Reshape', [r], dims);
  }

  // ---- 2-D arithmetic --------------------------------------------------------------------------

  transpose(x: OnnxTensor): OnnxTensor {
    const [m, n] = require2d(x, 'transpose');
    const r = this.#resolve(x);
    // (xᵀ)ᵀ = x: drop the pair.
    if (r instanceof OpNode && r.op === 'Transpose') return r.inputs[0] as Resolved;
    return this.#op('Transpose', [r], [n, m]);
  }

  add(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.#op('Add', [a, b], this.#broadcastShape(a, b, 'add'));
  }

  sub(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.#op('Sub', [a, b], this.#broadcastShape(a, b, 'sub'));
  }

  mul(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.#op('Mul', [a, b], this.#broadcastShape(a, b, 'mul'));
  }

  div(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.#op('Div', [a, b], this.#broadcastShape(a, b, 'div'));
  }

  scale(x: OnnxTensor, s: number): OnnxTensor {
    require2d(x, 'scale');
    return this.#op('Mul', [x, new ScalarInput(s)], x.shape);
  }

  addScalar(x: OnnxTensor, s: number): OnnxTensor {
    require2d(x, 'addScalar');
    return this.#op('Add', [x, new ScalarInput(s)], x.shape);
  }

  axpby(alpha: number, x: OnnxTensor, beta: number, y: OnnxTensor): OnnxTensor {
    require2d(x, 'axpby');
    if (!sameShape(x.shape, y.shape)) throw shapeError(`axpby of ${describe(x.shape)} and ${describe(y.shape)}`);
    return this.#op('Add', [this.scale(x, alpha), this.scale(y, beta)], x.shape);
  }

  sign(x: OnnxTensor): OnnxTensor {
    return this.#unary('Sign', x);
  }

  sqrt(x: OnnxTensor): OnnxTensor {
    return this.#unary('Sqrt', x);
  }

  abs(x: OnnxTensor): OnnxTensor {
    return this.#unary('Abs', x);
  }

  sumSquares(x: OnnxTensor, axis?: Axis): OnnxTensor {
    const [m, n] = require2d(x, 'sumSquares');
    if (axis === undefined) return this.#op('ReduceSumSquare', [x], [1, 1]);
    return this.#op('ReduceSumSquare', [x], axis === 0 ? [1, n] : [m, 1], { axis });
  }

  maxAbs(x: OnnxTensor): OnnxTensor {
    require2d(x, 'maxAbs');
    return this.#op('MaxAbs', [x], [1, 1]);
  }

  allFinite(xs: readonly OnnxTensor[]): Promise<boolean> {
    xs.forEach((x, i) => this.#own(x, `allFinite(xs[${i}])`));
    return this.#deferred.enqueue(async () => {
      const values = await this.#runner.evaluate(xs.map((x) => this.#resolve(x)));
      return values.every((v) => v.every(Number.isFinite));
    });
  }

  matmul(a: OnnxTensor, b: OnnxTensor, options: MatmulOptions = {}): OnnxTensor {
    const [ar, ac] = require2d(a, 'matmul');
    const [br, bc] = require2d(b, 'matmul');
    const transA = options.transposeA === true;
    const transB = options.transposeB === true;
    const [m, k] = transA ? [ac, ar] : [ar, ac];
    const [k2, n] = transB ? [bc, br] : [br, bc];
    if (k !== k2) {
      throw shapeError(`matmul inner dimensions differ: ${describe(a.shape)}${transA ? 'ᵀ' : ''} · ${describe(b.shape)}${transB ? 'ᵀ' : ''}`);
    }
    const attributes: OpAttributes = { ...(transA ? { transA } : {}), ...(transB ? { transB } : {}) };
    return this.#op('Gemm', [a, b], [m, n], attributes);
  }

  // ---- memory and effects ----------------------------------------------------------------------

  assign(target: OnnxTensor, value: OnnxTensor): void {
    if (!(target instanceof Variable)) throw backendError('assign() needs a persistent target (made by fromArray or zerosLike)');
    this.#own(target, 'assign(target)');
    if (!sameShape(value.shape, target.shape)) throw shapeError(`assign of ${describe(value.shape)} into ${describe(target.shape)}`);
    this.#deferred.assign(target, this.#resolve(value));
  }

  /**
   * `dispose(x)` frees a persistent tensor. `dispose()` without an argument releases every compiled
   * session (`session.release()`, without waiting; use {@link OnnxBackend.close} to wait). The
   * backend stays usable: later steps compile again. (Two signatures, the tensor one last, so that
   * a function generic over `TensorBackend<T, M>` infers `T = OnnxTensor`, not `OnnxTensor | undefined`.)
   */
  dispose(): void;
  dispose(x: OnnxTensor): void;
  dispose(x?: OnnxTensor): void {
    if (x === undefined) {
      void this.close().catch(() => undefined);
      return;
    }
    if (!(x instanceof Variable)) return;
    // In call order: a step issued before (awaited or not) still reads the tensor.
    if (this.#deferred.pending > 0) void this.#deferred.enqueue(() => void (x.data = null));
    else x.data = null;
  }

  /** Wait for everything issued so far, then release every compiled session. */
  async close(): Promise<void> {
    await this.#deferred.idle();
    await this.#cache.releaseAll();
  }

  /** A promise settled once every run and read issued so far has finished. */
  idle(): Promise<void> {
    return this.#deferred.idle();
  }

  run(fn: () => void, options?: RunOptions<OnnxTensor>): Promise<boolean> {
    return this.#deferred.run(fn, options);
  }

  // ---- internals -------------------------------------------------------------------------------

  #hostRun(inputs: readonly OnnxTensor[], targets: readonly OnnxTensor[], fn: (arrays: readonly Float32Array[]) => readonly Float32Array[] | undefined): Promise<boolean> {
    try {
      for (const x of inputs) this.#own(x, 'host.run(inputs)');
      targets.forEach((t, i) => {
        if (!(t instanceof Variable)) throw backendError(`host.run: targets[${i}] is not a persistent tensor (made by fromArray, zerosLike or adopt)`);
        this.#own(t, `host.run(targets[${i}])`);
      });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#deferred.enqueue(() => this.#runner.runOnHost(inputs.map((x) => this.#resolve(x)), targets as Variable[], fn));
  }

  /** One `NewtonSchulz` composite per matrix: its GEMMs and their folded tails (see graph/newton-schulz.ts). */
  #newtonSchulz(xs: readonly OnnxTensor[], coefficients: readonly PolynomialCoefficients[], side: GramSide): OnnxTensor[] {
    const shape = xs[0] === undefined ? undefined : require2d(xs[0], 'newtonSchulz');
    // one attributes object for the batch: the tracer keys it once
    const attributes: OpAttributes = { newtonSchulz: { side, coefficients: newtonSchulzSteps(coefficients, side) } };
    return xs.map((x, i) => {
      this.#own(x, `newtonSchulz(xs[${i}])`);
      if (!sameShape(require2d(x, 'newtonSchulz'), shape!)) throw shapeError(`newtonSchulz: xs[${i}] is ${describe(x.shape)}, xs[0] ${describe(shape!)}`);
      return this.#op('NewtonSchulz', [x], x.shape, attributes);
    });
  }

  /** The graph node standing for `x` now: its value recorded in this scope, its data, or the node itself. */
  #resolve(x: OnnxTensor): Resolved {
    if (x instanceof Variable) {
      const recorded = this.#deferred.recordedValue(x);
      if (recorded !== undefined) return recorded as Resolved;
      if (x.data === null) throw backendError('tensor used after dispose()');
      return x.snapshot();
    }
    if (x instanceof Leaf || x instanceof OpNode) return x;
    throw backendError(`not a tensor of this backend (got ${Object.prototype.toString.call(x)})`);
  }

  #own(x: OnnxTensor, op: string): void {
    if (!(x instanceof OnnxTensor)) throw backendError(`${op}: not a tensor of this backend (got ${Object.prototype.toString.call(x)})`);
    if (x instanceof Variable && x.data === null) throw backendError(`${op}: tensor used after dispose()`);
  }

  #op(op: OpType, inputs: readonly (OnnxTensor | ScalarInput)[], shape: Shape, attributes?: OpAttributes): OpNode {
    const resolved: GraphNode[] = inputs.map((x) => (x instanceof ScalarInput ? x : this.#resolve(x)));
    return new OpNode(op, resolved, shape, attributes);
  }

  #unary(op: OpType, x: OnnxTensor): OpNode {
    require2d(x, op);
    return this.#op(op, [x], x.shape);
  }

  #checkShape(shape: Shape, op: string): Shape {
    if (!Array.isArray(shape)) throw shapeError(`${op}: shape must be an array of dimensions, got ${String(shape)}`);
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw shapeError(`${op}: invalid shape ${describe(shape)}`);
    return [...shape];
  }

  /** `b` broadcasts onto a 2-D `a`: `[m, n]`, `[m, 1]`, `[1, n]` or `[1, 1]`; the result is shaped like `a`. */
  #broadcastShape(a: OnnxTensor, b: OnnxTensor, op: string): Shape {
    const [m, n] = require2d(a, op);
    const [bm, bn] = require2d(b, op);
    if (!((bm === m || bm === 1) && (bn === n || bn === 1))) throw shapeError(`${op}: ${describe(b.shape)} does not broadcast onto ${describe(a.shape)}`);
    return a.shape;
  }
}
