import { LmoError, type ExecutionMode, type Result, type Shape, type StorageDtype, type TensorBackend } from '@lmo/core';
import { formatShape, inMode, requireFloat32, sameShape, sizeOf, type Axis, type MatmulOptions, type MaybePromise, type RunOptions } from '@lmo/core/backend';
import { AsyncExecution } from './async.js';
import { Engine } from './engine.js';
import { checkMode } from './modes.js';
import { installNavigatorGpu } from './navigator.js';
import * as P from './primitives.js';
import { Runtime, storageOf, type Checked } from './runtime.js';
import { Storage, type GpujsTensor } from './tensor.js';
import { SyncExecution } from './sync.js';
import type { DeviceValue, ExecutionOf, GpujsMode, GpujsStats } from './types.js';

/** Options of {@link createGpujsBackend}. */
export interface GpujsBackendOptions<G extends GpujsMode = GpujsMode> {
  /**
   * The gpu.js mode (default `'cpu'`). See the package README for what works where. `webgpu` needs
   * a `navigator.gpu` (pass {@link GpujsBackendOptions.navigatorGpu} in Node) and makes the backend
   * asynchronous (`mode: 'async'`).
   */
  readonly mode?: G;
  /**
   * For `mode: 'webgpu'` in Node: the object returned by the `webgpu` package's `create()`. It is
   * installed as `globalThis.navigator.gpu` when no `navigator.gpu` exists (gpu.js looks there).
   */
  readonly navigatorGpu?: unknown;
  /**
   * For `mode: 'webgpu'`: options merged into gpu.js's `navigator.gpu.requestAdapter()` call, e.g.
   * `{ featureLevel: 'compatibility' }` for Dawn's OpenGL ES adapter (no GPU needed; see README).
   */
  readonly adapterOptions?: Readonly<Record<string, unknown>>;
  /**
   * An existing gpu.js `GPU` instance to create kernels on (its mode must match `mode`). Share it
   * with your own kernels to hand values to the backend ({@link GpujsBackend.adopt}) and take
   * them from it ({@link GpujsBackend.deviceValue}) without copies.
   */
  readonly gpu?: unknown;
  /**
   * Numeric precision. Only `'single'` (IEEE float32 everywhere) is supported: the optimizers'
   * Newton–Schulz iterations do not survive gpu.js's lossy `'unsigned'` (RGBA8-packed) textures.
   */
  readonly precision?: 'single';
}

function toChecked(t: GpujsTensor): Checked {
  return { storage: storageOf(t), shape: t.shape };
}

/**
 * The `@lmo/core` tensor contract on gpu.js kernels.
 *
 * Every primitive is one gpu.js kernel (two for full reductions), compiled once per (operation,
 * shape) and cached; numbers that vary between steps are kernel arguments, so a changing learning
 * rate never recompiles. In the device modes, results stay on the device (gpu.js pipeline mode:
 * textures or storage buffers); only `read`, `allFinite` and uploads move data.
 *
 * `M` is the contract's execution mode: `'sync'` in `cpu`, `webasm` and the GL modes (every kernel
 * runs when its primitive is called; assigns inside `run` are applied when the scope ends), and
 * `'async'` in `webgpu` (primitives inside `run` record their launches; `run`, `read` and
 * `allFinite` return Promises and are carried out in call order). Create it with
 * {@link createGpujsBackend}, which types `M` from the gpu.js mode.
 */
export class GpujsBackend<M extends ExecutionMode = ExecutionMode> implements TensorBackend<GpujsTensor, M> {
  readonly name: string;
  /** `'async'` in `webgpu`, `'sync'` in the other modes. */
  readonly mode: M;
  /** The gpu.js mode this backend runs in. */
  readonly gpujsMode: GpujsMode;
  readonly #rt: Runtime;
  readonly #sync: SyncExecution | undefined;
  readonly #async: AsyncExecution | undefined;

  /** Use {@link createGpujsBackend}, which types the execution mode. */
  constructor(options: GpujsBackendOptions = {}) {
    const mode = options.mode ?? 'cpu';
    checkMode(mode);
    if (options.precision !== undefined && options.precision !== 'single') {
      throw new LmoError('BACKEND', `@lmo/gpujs: precision '${String(options.precision)}' is not supported (only 'single')`);
    }
    if (mode === 'webgpu' && (options.navigatorGpu !== undefined || options.adapterOptions !== undefined)) {
      installNavigatorGpu(options.navigatorGpu, options.adapterOptions);
    }
    this.gpujsMode = mode;
    this.name = `gpujs-${mode}`;
    this.#rt = new Runtime(new Engine(mode, options.gpu));
    if (mode === 'webgpu') this.#rt.exec = this.#async = new AsyncExecution(this.#rt);
    else this.#rt.exec = this.#sync = new SyncExecution(this.#rt);
    this.mode = (this.#async === undefined ? 'sync' : 'async') as M;
  }

  /** Live tensors, device allocations, compiled kernels and launches: for leak tests and profiling. */
  stats(): GpujsStats {
    return { ...this.#rt.engine.stats(), liveTensors: this.#rt.liveTensors };
  }

  #inMode<V>(fn: () => MaybePromise<V>): Result<M, V> {
    return inMode(this.mode, fn) as Result<M, V>;
  }

  // ---- data (any rank) -------------------------------------------------------------------------

  /** Whether `x` is a tensor of this backend instance that has not been disposed. */
  isTensor(x: unknown): x is GpujsTensor {
    return this.#rt.owns(x);
  }

  fromArray(data: Float32Array, shape: Shape, dtype?: StorageDtype): GpujsTensor {
    this.#rt.engine.alive();
    requireFloat32('@lmo/gpujs', dtype, 'fromArray');
    if (!(data instanceof Float32Array)) throw new LmoError('BACKEND', '@lmo/gpujs: fromArray(data) needs a Float32Array');
    if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: fromArray(shape) needs an array of dimensions, got ${String(shape)}`);
    if (data.length !== sizeOf(shape)) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: fromArray: ${data.length} values for shape ${formatShape(shape)}`);
    }
    return this.#rt.upload(shape, data.slice(), false);
  }

  read(x: GpujsTensor): Result<M, Float32Array> {
    return this.#inMode(() => {
      const s = this.#rt.check(x, 'read(x)').storage;
      return this.#async !== undefined ? this.#async.read(s) : this.#sync!.read(s);
    });
  }

  shape(x: GpujsTensor): Shape {
    this.#rt.check(x, 'shape(x)');
    return x.shape;
  }

  zerosLike(x: GpujsTensor, dtype?: StorageDtype): GpujsTensor {
    this.#rt.check(x, 'zerosLike(x)');
    requireFloat32('@lmo/gpujs', dtype, 'zerosLike');
    return this.#rt.zeros(x.shape, false);
  }

  reshape(x: GpujsTensor, shape: Shape): GpujsTensor {
    const storage = this.#rt.check(x, 'reshape(x)').storage;
    if (!Array.isArray(shape) || sizeOf(shape) !== x.size) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: cannot reshape ${formatShape(x.shape)} to ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`);
    }
    storage.refs++;
    return this.#rt.tensor(shape, storage, true);
  }

  /**
   * Wraps a device value as a new persistent tensor of `shape`, taking ownership: the backend
   * frees it when the tensor is disposed, and its assigns write it (in place in the host modes).
   * `value` is a `Float32Array` of `shape`'s size in `cpu`/`webasm`, or a gpu.js pipeline result
   * (texture, WebGPU buffer) of that size made on the backend's gpu.js instance (option `gpu`).
   *
   * @throws LmoError `BACKEND` when `value` is not of the mode's kind, `SHAPE_MISMATCH` when its
   *   size is not `shape`'s.
   */
  adopt(value: DeviceValue, shape: Shape): GpujsTensor {
    this.#rt.engine.alive();
    if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: adopt(shape) needs an array of dimensions, got ${String(shape)}`);
    const size = sizeOf(shape);
    const v = this.#rt.engine.adopt(value, size, 'adopt(value)');
    const storage = new Storage(size);
    if (storage.empty) this.#rt.engine.release(v);
    else storage.value = v;
    return this.#rt.tensor(shape, storage, false);
  }

  /**
   * The device value holding `x`'s values, without a copy: in `cpu`/`webasm` its `Float32Array`
   * (writing into it writes `x` and its reshaped views), in the device modes its texture or
   * buffer, to pass to your own kernels on the same gpu.js instance.
   *
   * Lifetime: the backend still owns it. It holds `x`'s values until `x` is next written or freed:
   * in the device modes an assign to `x` replaces it by a new value and frees it (host arrays are
   * overwritten in place), and disposing `x` (and its views) frees it. Do not `delete()` it.
   * In `webgpu`, where work is carried out in call order, call it when the work issued before has
   * finished: after awaiting the last run or read (`await backend.run(() => {})` waits for all).
   *
   * @throws LmoError `BACKEND` when `x` is not a live tensor of this backend, or (webgpu) when its
   *   value has not been computed yet.
   */
  deviceValue(x: GpujsTensor): DeviceValue {
    const { storage } = this.#rt.check(x, 'deviceValue(x)');
    if (storage.value === null) {
      throw new LmoError('BACKEND', '@lmo/gpujs: deviceValue(x): x has not been computed yet (in webgpu, await the work issued before it first)');
    }
    return storage.value;
  }

  /**
   * Runs a gpu.js kernel of your own on this backend's tensors — a model's forward and backward
   * passes, say — into a new tensor of `shape`, which the caller disposes (also inside `run`).
   *
   * `source` gives the text of a gpu.js kernel function that computes one element of the flat,
   * row-major output per thread (`this.thread.x` in `[0, size of shape)`), from `inputs`: tensors of
   * this backend, read where they live (as flat arrays, in any mode), and numbers. It is compiled
   * once per `key` and output size, with {@link kernelSettings} (IEEE float32, results kept on the
   * device in the device modes); give each different source its own key. Like the primitives, the
   * launch runs at once in the synchronous modes and in call order in `webgpu`.
   *
   * @throws LmoError `BACKEND` when an input is not a live tensor of this backend or a number, or
   *   when gpu.js cannot compile or run the kernel.
   *
   * @example
   * ```ts
   * // y = a·x + b elementwise, on whatever mode the backend runs
   * const y = backend.kernel('axpb', [n], () => 'function (x, a, b) { return a * x[this.thread.x] + b; }', [x, 2, 1]);
   * ```
   */
  kernel(key: string, shape: Shape, source: () => string, inputs: ReadonlyArray<GpujsTensor | number>): GpujsTensor {
    this.#rt.engine.alive();
    if (typeof key !== 'string' || key === '') throw new LmoError('BACKEND', '@lmo/gpujs: kernel(key): key must be a non-empty string');
    if (!Array.isArray(shape)) throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: kernel(shape) needs an array of dimensions, got ${String(shape)}`);
    const args = inputs.map((x, i) => (typeof x === 'number' ? x : this.#rt.check(x, `kernel(inputs[${i}])`).storage));
    const size = sizeOf(shape);
    return this.#rt.launch(shape, `custom:${key}:${size}`, () => ({ source: source(), size }), args, false);
  }

  // ---- elementwise (2-D; same-shape forms of any rank) ----------------------------------------

  transpose(x: GpujsTensor): GpujsTensor {
    return P.transpose(this.#rt, x);
  }

  add(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return P.binary(this.#rt, '+', 'add', a, b);
  }

  sub(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return P.binary(this.#rt, '-', 'sub', a, b);
  }

  mul(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return P.binary(this.#rt, '*', 'mul', a, b);
  }

  div(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return P.binary(this.#rt, '/', 'div', a, b);
  }

  scale(x: GpujsTensor, s: number): GpujsTensor {
    return P.scale(this.#rt, x, s);
  }

  addScalar(x: GpujsTensor, s: number): GpujsTensor {
    return P.addScalar(this.#rt, x, s);
  }

  axpby(alpha: number, x: GpujsTensor, beta: number, y: GpujsTensor): GpujsTensor {
    return P.axpby(this.#rt, alpha, x, beta, y);
  }

  sign(x: GpujsTensor): GpujsTensor {
    return P.unary(this.#rt, 'sign', x);
  }

  sqrt(x: GpujsTensor): GpujsTensor {
    return P.unary(this.#rt, 'sqrt', x);
  }

  abs(x: GpujsTensor): GpujsTensor {
    return P.unary(this.#rt, 'abs', x);
  }

  // ---- reductions ------------------------------------------------------------------------------

  sumSquares(x: GpujsTensor, axis?: Axis): GpujsTensor {
    return P.sumSquares(this.#rt, x, axis);
  }

  maxAbs(x: GpujsTensor): GpujsTensor {
    return P.maxAbs(this.#rt, x);
  }

  allFinite(xs: readonly GpujsTensor[]): Result<M, boolean> {
    return this.#inMode(() => {
      const checked = xs.map((x, i) => toChecked(this.#check(x, `allFinite(xs[${i}])`)));
      return this.#async !== undefined ? this.#async.allFinite(checked) : this.#sync!.allFinite(checked);
    });
  }

  // ---- linear algebra --------------------------------------------------------------------------

  matmul(a: GpujsTensor, b: GpujsTensor, options?: MatmulOptions): GpujsTensor {
    return P.matmul(this.#rt, a, b, options);
  }

  // ---- memory and effects ----------------------------------------------------------------------

  #check(x: GpujsTensor, what: string): GpujsTensor {
    this.#rt.check(x, what);
    return x;
  }

  assign(target: GpujsTensor, value: GpujsTensor): void {
    const t = this.#rt.check(target, 'assign(target)').storage;
    const v = this.#rt.check(value, 'assign(value)').storage;
    if (!sameShape(target.shape, value.shape)) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: assign of ${formatShape(value.shape)} into ${formatShape(target.shape)}: the value must have the target's shape`);
    }
    if (this.#async !== undefined) this.#async.assign(target, value);
    else this.#sync!.assign(t, v);
  }

  /**
   * Frees a tensor (its memory goes with the last view of it). Disposing twice does nothing. In
   * `webgpu` it takes effect in call order: a run issued before (awaited or not) still reads `x`.
   */
  dispose(x: GpujsTensor): void {
    if (this.#rt.owns(x)) {
      // in its turn every launch issued before has finished: nothing can still read the memory
      if (this.#async !== undefined) this.#async.inTurn(() => this.#rt.owns(x) && this.#rt.free(x, true));
      else this.#rt.free(x);
    } else if (!this.#rt.owned(x)) throw new LmoError('BACKEND', '@lmo/gpujs: dispose(x): x is not a tensor of this backend');
  }

  run(fn: () => void, options: RunOptions<GpujsTensor> = {}): Result<M, boolean> {
    return this.#inMode(() => {
      if (typeof fn !== 'function') throw new LmoError('BACKEND', '@lmo/gpujs: run(fn) needs a function');
      const guard = (options.guard ?? []).map((g, i) => this.#check(g, `run: guard[${i}]`));
      if (this.#async !== undefined) return this.#async.run(fn, options);
      return this.#sync!.run(fn, options, guard.map(toChecked));
    });
  }

  /**
   * Frees every kernel and the gpu.js instance. The backend and its tensors are unusable afterwards:
   * every primitive fails with a `BACKEND` error, and `isTensor` is false.
   */
  destroy(): void {
    this.#rt.engine.destroy();
  }
}

/**
 * Creates the gpu.js backend. Its type follows the mode: `GpujsBackend<'sync'>` for `cpu` (the
 * default), `webasm`, `headlessgl`, `webgl` and `webgl2`, `GpujsBackend<'async'>` for `webgpu` (so an optimizer's
 * `step()` returns `void` or a `Promise<void>`), either when the mode is not known statically.
 *
 * @example
 * ```ts
 * import { createGpujsBackend } from '@lmo/gpujs';
 * const backend = createGpujsBackend({ mode: 'webasm' }); // GpujsBackend<'sync'>
 * const w = backend.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * ```
 */
export function createGpujsBackend<G extends GpujsMode = 'cpu'>(options: GpujsBackendOptions<G> = {}): GpujsBackend<ExecutionOf<G>> {
  return new GpujsBackend<ExecutionOf<G>>(options);
}
