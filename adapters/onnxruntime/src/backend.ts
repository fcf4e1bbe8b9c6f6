/**
 * The onnxruntime backend: a lazy {@link TensorBackend} that compiles each optimizer step into one
 * ONNX graph and runs it with onnxruntime.
 */
import {
  LmoError,
  type Axis,
  type MatmulOptions,
  type MaybePromise,
  type NewtonSchulzCoefficients,
  type Shape,
  type TensorBackend,
} from '@lmo/core';
import type * as ort from 'onnxruntime-common';
import { SCALARS_INPUT, traceGraph } from './graph/builder.js';
import { Leaf, OnnxTensor, OpNode, ScalarInput, Variable, sizeOf, type GraphNode, type OpAttributes, type OpType } from './graph/nodes.js';
import { encodeModel } from './onnx/model.js';
import { SessionCache, type OnnxBackendStats, type OrtApi } from './session-cache.js';

const PRODUCER_VERSION = '0.1.0';

/** Options of {@link onnxBackend}. */
export interface OnnxBackendOptions {
  /**
   * Execution providers, in order of preference (passed to `InferenceSession.create`).
   * Default `['cpu']`. Names such as `'cuda'`, `'webgpu'`, `'dml'`, `'coreml'` work where the
   * installed onnxruntime build includes them.
   */
  readonly executionProviders?: readonly ort.InferenceSession.ExecutionProviderConfig[];
  /** Threads used inside one operator (onnxruntime's `intraOpNumThreads`; default: onnxruntime's choice). */
  readonly intraOpNumThreads?: number;
  /** Threads used across operators (`interOpNumThreads`). */
  readonly interOpNumThreads?: number;
  /** onnxruntime graph optimization level. Default `'all'`. */
  readonly graphOptimizationLevel?: ort.InferenceSession.SessionOptions['graphOptimizationLevel'];
  /** Further session options, merged over the ones above. */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /**
   * The onnxruntime module to use. Default: `onnxruntime-node` from `@lmo/onnxruntime`,
   * `onnxruntime-web` from `@lmo/onnxruntime/web`. Any module with the same
   * `InferenceSession.create` / `Tensor` API works.
   */
  readonly ort?: OrtApi;
}

/** A recorded assignment, applied once the graph computing it has run successfully. */
interface PendingAssign {
  readonly target: Variable;
  readonly value: Leaf | OpNode;
  /** The flush computing it, once started. */
  done: Promise<void> | null;
}

/** The trace of one `run`: assignments it replaced (to undo them if `fn` throws) and nested runs waiting on it. */
interface Scope {
  readonly log: { target: Variable; previous: PendingAssign | undefined }[];
  readonly joined: { resolve(): void; reject(error: unknown): void }[];
}

function describe(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function shapeError(message: string): LmoError {
  return new LmoError('SHAPE_MISMATCH', `onnxruntime backend: ${message}`);
}

function backendError(message: string, cause?: unknown): LmoError {
  const error = new LmoError('BACKEND', `onnxruntime backend: ${message}`);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function require2d(x: OnnxTensor, op: string): readonly [number, number] {
  if (x.shape.length !== 2) throw shapeError(`${op} expects a 2-D tensor, got ${describe(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}

/**
 * A lazy {@link TensorBackend} over onnxruntime.
 *
 * - Every op returns a symbolic node; numbers become scalar graph inputs, so the structure of a
 *   graph never depends on numeric values (a changing learning rate never recompiles).
 * - {@link OnnxBackend.run} calls `fn` synchronously, then compiles the assigned values into one
 *   ONNX graph (cached by structure: op sequence, attributes, shapes), runs it, and only when that
 *   succeeds writes the outputs into the assigned tensors. A failed step changes nothing.
 * - Persistent tensors (`fromArray`, `zerosLike`) keep their values in CPU `Float32Array`s that
 *   are fed to onnxruntime without copying; an assignment swaps in the output buffer.
 * - {@link OnnxBackend.read} and {@link OnnxBackend.allFinite} return synchronously when the values
 *   are already on the CPU, otherwise they evaluate (one graph) and return a Promise.
 */
export class OnnxBackend implements TensorBackend<OnnxTensor> {
  readonly name: string;
  /** Live counters: sessions compiled and released, runs, cache hits, compile time. */
  readonly stats: OnnxBackendStats = {
    sessionsCreated: 0,
    sessionsReleased: 0,
    runs: 0,
    cacheHits: 0,
    compileMs: 0,
    runMs: 0,
  };
  /** Fused kernels: Newton–Schulz as a chain of MatMuls inside the step's graph. */
  readonly fused: { newtonSchulz(x: OnnxTensor, coefficients: readonly NewtonSchulzCoefficients[], normScale: number, normEps: number): OnnxTensor };

  private readonly api: OrtApi;
  private readonly cache: SessionCache;
  private readonly pending = new Map<Variable, PendingAssign>();
  /** While `run`'s `fn` executes: its scope (null outside `run`). */
  private scope: Scope | null = null;

  constructor(options: OnnxBackendOptions & { readonly ort: OrtApi }) {
    this.api = options.ort;
    const providers = options.executionProviders ?? ['cpu'];
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [...providers],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      ...(options.interOpNumThreads !== undefined ? { interOpNumThreads: options.interOpNumThreads } : {}),
      ...options.sessionOptions,
    };
    this.cache = new SessionCache(this.api, sessionOptions, this.stats);
    const providerNames = providers.map((p) => (typeof p === 'string' ? p : p.name));
    this.name = `onnxruntime-${providerNames.join('+')}`;
    this.fused = { newtonSchulz: (x, coefficients, normScale, normEps) => this.newtonSchulz(x, coefficients, normScale, normEps) };
  }

  /** Number of compiled sessions currently cached. */
  get sessionCount(): number {
    return this.cache.size;
  }

  // ---- data ------------------------------------------------------------------------------------

  fromArray(data: Float32Array, shape: Shape): OnnxTensor {
    const dims = this.checkShape(shape, 'fromArray');
    if (data.length !== sizeOf(dims)) {
      throw shapeError(`fromArray got ${data.length} values for shape ${describe(dims)} (${sizeOf(dims)} expected)`);
    }
    return new Variable(Float32Array.from(data), dims);
  }

  read(x: OnnxTensor): MaybePromise<Float32Array> {
    if (x instanceof Variable) {
      const entry = this.pending.get(x);
      if (entry !== undefined) return this.settle(entry).then(() => this.read(x));
      return this.liveData(x).slice();
    }
    if (x instanceof Leaf) return x.data.slice();
    return this.evaluate([this.resolve(x)]).then(([values]) => values!);
  }

  shape(x: OnnxTensor): Shape {
    return x.shape;
  }

  zerosLike(x: OnnxTensor): OnnxTensor {
    return new Variable(new Float32Array(sizeOf(x.shape)), x.shape);
  }

  reshape(x: OnnxTensor, shape: Shape): OnnxTensor {
    const size = sizeOf(x.shape);
    const dims = this.inferShape(shape, size);
    if (sizeOf(dims) !== size) throw shapeError(`cannot reshape ${describe(x.shape)} to ${describe(shape)}`);
    const r = this.resolve(x);
    if (sameShape(r.shape, dims)) return r;
    // A reshape of CPU data is a view of the same (immutable) buffer.
    if (r instanceof Leaf) return new Leaf(r.data, dims);
    return new OpNode('Reshape', [r], dims);
  }

  transpose(x: OnnxTensor): OnnxTensor {
    const [m, n] = require2d(x, 'transpose');
    const r = this.resolve(x);
    // (xᵀ)ᵀ = x: drop the pair (core transposes tall matrices in and out of Newton–Schulz).
    if (r instanceof OpNode && r.op === 'Transpose') return r.inputs[0] as Leaf | OpNode;
    return this.op('Transpose', [r], [n, m]);
  }

  // ---- elementwise -----------------------------------------------------------------------------

  add(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.op('Add', [a, b], this.sameShapeOf(a, b, 'add'));
  }

  sub(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.op('Sub', [a, b], this.sameShapeOf(a, b, 'sub'));
  }

  mul(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.op('Mul', [a, b], this.broadcastShape(a, b, 'mul'));
  }

  div(a: OnnxTensor, b: OnnxTensor): OnnxTensor {
    return this.op('Div', [a, b], this.broadcastShape(a, b, 'div'));
  }

  scale(x: OnnxTensor, s: number): OnnxTensor {
    return this.op('Mul', [x, new ScalarInput(s)], x.shape);
  }

  addScalar(x: OnnxTensor, s: number): OnnxTensor {
    return this.op('Add', [x, new ScalarInput(s)], x.shape);
  }

  axpby(alpha: number, x: OnnxTensor, beta: number, y: OnnxTensor): OnnxTensor {
    const shape = this.sameShapeOf(x, y, 'axpby');
    return this.op('Add', [this.scale(x, alpha), this.scale(y, beta)], shape);
  }

  sign(x: OnnxTensor): OnnxTensor {
    return this.op('Sign', [x], x.shape);
  }

  sqrt(x: OnnxTensor): OnnxTensor {
    return this.op('Sqrt', [x], x.shape);
  }

  abs(x: OnnxTensor): OnnxTensor {
    return this.op('Abs', [x], x.shape);
  }

  // ---- reductions ------------------------------------------------------------------------------

  sumSquares(x: OnnxTensor, axis?: Axis): OnnxTensor {
    if (axis === undefined) return this.op('ReduceSumSquare', [x], x.shape.map(() => 1));
    const [m, n] = require2d(x, 'sumSquares');
    return this.op('ReduceSumSquare', [x], axis === 0 ? [1, n] : [m, 1], { axis });
  }

  maxAbs(x: OnnxTensor): OnnxTensor {
    return this.op('MaxAbs', [x], x.shape.map(() => 1));
  }

  allFinite(xs: readonly OnnxTensor[]): MaybePromise<boolean> {
    const lazy: OnnxTensor[] = [];
    for (const x of xs) {
      const onCpu = x instanceof Leaf ? x.data : x instanceof Variable && !this.pending.has(x) ? this.liveData(x) : null;
      if (onCpu === null) lazy.push(x);
      else if (!isFiniteArray(onCpu)) return false;
    }
    if (lazy.length === 0) return true;
    return this.settleAll(lazy)
      .then(() => this.evaluate(lazy.map((x) => this.resolve(x))))
      .then((values) => values.every(isFiniteArray));
  }

  // ---- linear algebra --------------------------------------------------------------------------

  matmul(a: OnnxTensor, b: OnnxTensor, options: MatmulOptions = {}): OnnxTensor {
    const [ar, ac] = require2d(a, 'matmul');
    const [br, bc] = require2d(b, 'matmul');
    const transA = options.transposeA === true;
    const transB = options.transposeB === true;
    const [m, k] = transA ? [ac, ar] : [ar, ac];
    const [k2, n] = transB ? [bc, br] : [br, bc];
    if (k !== k2) {
      throw shapeError(
        `matmul inner dimensions differ: ${describe(a.shape)}${transA ? 'ᵀ' : ''} · ${describe(b.shape)}${transB ? 'ᵀ' : ''}`,
      );
    }
    const attributes: OpAttributes = { ...(transA ? { transA } : {}), ...(transB ? { transB } : {}) };
    return this.op('Gemm', [a, b], [m, n], attributes);
  }

  // ---- memory and effects ----------------------------------------------------------------------

  assign(target: OnnxTensor, value: OnnxTensor): void {
    if (!(target instanceof Variable)) {
      throw backendError('assign() needs a persistent target (made by fromArray or zerosLike)');
    }
    this.liveData(target);
    if (sizeOf(value.shape) !== sizeOf(target.shape)) {
      throw shapeError(`assign of ${describe(value.shape)} into ${describe(target.shape)}`);
    }
    const resolved = this.reshape(value, target.shape) as Leaf | OpNode;
    this.scope?.log.push({ target, previous: this.pending.get(target) });
    this.pending.set(target, { target, value: resolved, done: null });
  }

  /**
   * `dispose(x)` frees a persistent tensor. `dispose()` without an argument releases every compiled
   * session (`session.release()`, without waiting; use {@link OnnxBackend.close} to wait). The
   * backend stays usable: later steps compile again.
   */
  dispose(x?: OnnxTensor): void {
    if (x === undefined) {
      void this.close().catch(() => undefined);
      return;
    }
    if (x instanceof Variable) {
      x.data = null;
      this.pending.delete(x);
    }
  }

  /** Release every compiled session and wait until onnxruntime has freed them. */
  close(): Promise<void> {
    return this.cache.releaseAll();
  }

  /**
   * Trace `fn`, then execute everything it assigned as one ONNX graph. `fn` runs synchronously;
   * if it throws, its assignments are discarded and the returned Promise rejects. The graph is
   * compiled on the first run of its structure and reused afterwards; outputs are written into
   * their targets only after the run succeeded. A `run` nested in another joins the outer one: its
   * Promise settles with the outer run's execution.
   */
  run(fn: () => void): Promise<void> {
    const outer = this.scope;
    const scope: Scope = { log: [], joined: [] };
    this.scope = scope;
    try {
      fn();
    } catch (error) {
      for (let i = scope.log.length - 1; i >= 0; i--) {
        const { target, previous } = scope.log[i]!;
        if (previous === undefined) this.pending.delete(target);
        else this.pending.set(target, previous);
      }
      for (const j of scope.joined) j.reject(error);
      return Promise.reject(error);
    } finally {
      this.scope = outer;
    }
    if (outer !== null) {
      outer.log.push(...scope.log);
      return new Promise<void>((resolve, reject) => outer.joined.push({ resolve, reject }, ...scope.joined));
    }
    const done = this.flush();
    done.then(
      () => scope.joined.forEach((j) => j.resolve()),
      (error: unknown) => scope.joined.forEach((j) => j.reject(error)),
    );
    return done;
  }

  /** Execute every assignment recorded so far (outside {@link OnnxBackend.run} too). */
  flush(): Promise<void> {
    const batch = [...this.pending.values()].filter((p) => p.done === null);
    if (batch.length === 0) return Promise.all([...this.pending.values()].map((p) => p.done?.catch(() => undefined))).then(() => undefined);
    const done = this.evaluate(batch.map((p) => p.value)).then(
      (values) => {
        batch.forEach((p, i) => {
          if (this.pending.get(p.target) === p) {
            p.target.replace(values[i]!);
            this.pending.delete(p.target);
          }
        });
      },
      (error: unknown) => {
        for (const p of batch) if (this.pending.get(p.target) === p) this.pending.delete(p.target);
        throw error;
      },
    );
    for (const p of batch) p.done = done;
    return done;
  }

  // ---- fused kernels ---------------------------------------------------------------------------

  /**
   * `X ← x / (‖x‖_F · normScale + normEps)`, then per `(a, b, c)`: `A = X·Xᵀ; B = b·A + c·A·A;
   * X = a·X + B·X`, all as nodes of the current graph. When `x` is itself a transpose `gᵀ` (core
   * transposes tall matrices), the iteration runs on `g` as `A = gᵀg; X = a·X + X·B` and the result
   * is returned transposed, so the transposes around the kernel cancel.
   */
  private newtonSchulz(
    x: OnnxTensor,
    coefficients: readonly NewtonSchulzCoefficients[],
    normScale: number,
    normEps: number,
  ): OnnxTensor {
    require2d(x, 'newtonSchulz');
    const r = this.resolve(x);
    const transposed = r instanceof OpNode && r.op === 'Transpose';
    const g = transposed ? (r.inputs[0] as Leaf | OpNode) : r;
    const norm = this.sqrt(this.sumSquares(g));
    let X = this.div(g, this.addScalar(this.scale(norm, normScale), normEps));
    for (const [a, b, c] of coefficients) {
      const A = transposed ? this.matmul(X, X, { transposeA: true }) : this.matmul(X, X, { transposeB: true });
      const B = this.add(this.scale(A, b), this.scale(this.matmul(A, A), c));
      X = this.add(this.scale(X, a), transposed ? this.matmul(X, B) : this.matmul(B, X));
    }
    return transposed ? this.transpose(X) : X;
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The graph node standing for `x` now: a pending assignment's value, a data snapshot, or the node itself. */
  private resolve(x: OnnxTensor): Leaf | OpNode {
    if (x instanceof Variable) {
      const entry = this.pending.get(x);
      return entry !== undefined ? entry.value : x.snapshot();
    }
    if (x instanceof Leaf || x instanceof OpNode) return x;
    throw backendError('not a tensor of this backend');
  }

  private op(op: OpType, inputs: readonly (OnnxTensor | ScalarInput)[], shape: Shape, attributes?: OpAttributes): OpNode {
    const resolved: GraphNode[] = inputs.map((x) => (x instanceof ScalarInput ? x : this.resolve(x)));
    return new OpNode(op, resolved, shape, attributes);
  }

  private liveData(x: Variable): Float32Array {
    if (x.data === null) throw backendError('tensor used after dispose()');
    return x.data;
  }

  /**
   * Wait for a pending assignment. A flush started elsewhere (a `run`) reports its own failure to
   * its caller; here its failure only means the assignment was dropped. A flush started here
   * (an assignment made outside `run`) reports its failure to this caller.
   */
  private settle(entry: PendingAssign): Promise<void> {
    return entry.done !== null ? entry.done.catch(() => undefined) : this.flush();
  }

  private async settleAll(xs: readonly OnnxTensor[]): Promise<void> {
    for (const x of xs) {
      const entry = x instanceof Variable ? this.pending.get(x) : undefined;
      if (entry !== undefined) await this.settle(entry);
    }
  }

  /** Values of `nodes` (row-major); op nodes are computed by one graph run. */
  private async evaluate(nodes: readonly (Leaf | OpNode)[]): Promise<Float32Array[]> {
    const ops = [...new Set(nodes.filter((n): n is OpNode => n instanceof OpNode))];
    const results = new Map<OpNode, Float32Array>();
    if (ops.length > 0) {
      const traced = traceGraph(ops);
      let outputs: ort.InferenceSession.ReturnType;
      try {
        const session = await this.cache.get(traced.key, () => encodeModel(traced.build(), PRODUCER_VERSION));
        const feeds: Record<string, ort.Tensor> = {};
        const { Tensor } = this.api;
        traced.feeds.forEach((f, i) => {
          feeds[traced.inputNames[i]!] = new Tensor('float32', f.data, [...f.shape]);
        });
        if (traced.scalars.length > 0) feeds[SCALARS_INPUT] = new Tensor('float32', traced.scalars, [traced.scalars.length]);
        const started = performance.now();
        outputs = await session.run(feeds);
        this.stats.runMs += performance.now() - started;
      } catch (error) {
        throw backendError(`graph execution failed: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      this.stats.runs++;
      ops.forEach((op, i) => {
        const out = outputs[traced.outputNames[i]!];
        if (out === undefined || !(out.data instanceof Float32Array) || out.data.length !== sizeOf(op.shape)) {
          throw backendError(`graph output ${i} is missing or malformed`);
        }
        results.set(op, out.data);
      });
    }
    return nodes.map((n) => (n instanceof Leaf ? n.data : results.get(n)!));
  }

  private checkShape(shape: Shape, op: string): Shape {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw shapeError(`${op}: invalid shape ${describe(shape)}`);
    }
    return [...shape];
  }

  /** Resolve one `-1` dimension against `size`. */
  private inferShape(shape: Shape, size: number): Shape {
    const unknown = shape.indexOf(-1);
    if (unknown < 0) return this.checkShape(shape, 'reshape');
    const known = shape.filter((_, i) => i !== unknown);
    const rest = sizeOf(this.checkShape(known, 'reshape'));
    if (rest === 0 || size % rest !== 0) throw shapeError(`cannot reshape ${size} values to ${describe(shape)}`);
    return shape.map((d, i) => (i === unknown ? size / rest : d));
  }

  private sameShapeOf(a: OnnxTensor, b: OnnxTensor, op: string): Shape {
    if (!sameShape(a.shape, b.shape)) throw shapeError(`${op} of ${describe(a.shape)} and ${describe(b.shape)}`);
    return a.shape;
  }

  /** `b` broadcasts onto `a` (numpy rules, result shaped like `a`): `[m,n]`, `[m,1]`, `[1,n]`, `[1,1]`. */
  private broadcastShape(a: OnnxTensor, b: OnnxTensor, op: string): Shape {
    const ok =
      b.shape.length <= a.shape.length &&
      b.shape.every((d, i) => {
        const ad = a.shape[a.shape.length - b.shape.length + i]!;
        return d === ad || d === 1;
      });
    if (!ok) throw shapeError(`${op}: ${describe(b.shape)} does not broadcast onto ${describe(a.shape)}`);
    return a.shape;
  }
}

function isFiniteArray(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}
