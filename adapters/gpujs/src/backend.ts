import { LmoError, sizeOf } from '@lmo/core';
import type { Axis, MatmulOptions, MaybePromise, Shape, TensorBackend } from '@lmo/core';
import { Engine } from './engine.js';
import type { DeviceValue, EngineStats, GpujsMode } from './engine.js';
import * as K from './kernels.js';
import type { Broadcast, KernelSource, Reduce } from './kernels.js';

/** Device memory shared by a tensor and its reshaped views, freed when the last one lets go. */
class Storage {
  /** `null` until computed (webgpu records first and computes when the scope ends). */
  value: DeviceValue | null = null;
  refs = 1;
  /** Zero-size storage: a host placeholder the engine never allocated. */
  readonly empty: boolean;
  constructor(readonly size: number) {
    this.empty = size === 0;
    if (this.empty) this.value = new Float32Array(0);
  }
}

/**
 * A tensor of the gpu.js backend: a shape plus device memory (a `Float32Array` in the `cpu` and
 * `webasm` modes, a float texture in `headlessgl`, a storage buffer in `webgpu`).
 * Create them with {@link GpujsBackend.fromArray} / {@link GpujsBackend.zerosLike}.
 */
export class GpujsTensor {
  /** The tensor's shape. */
  readonly shape: Shape;
  /** The number of elements. */
  readonly size: number;
  /** @internal */
  readonly storage: Storage;
  /** @internal */
  readonly owner: GpujsBackend;
  /** @internal */
  disposed = false;

  /** @internal */
  constructor(owner: GpujsBackend, shape: Shape, storage: Storage) {
    this.owner = owner;
    this.shape = Object.freeze(shape.slice());
    this.size = storage.size;
    this.storage = storage;
  }
}

/** Options of {@link createGpujsBackend}. */
export interface GpujsBackendOptions {
  /**
   * The gpu.js mode (default `'cpu'`). See the package README for what works where. `webgpu` needs
   * a `navigator.gpu` (pass {@link GpujsBackendOptions.navigatorGpu} in Node) and makes
   * `run`/`read`/`allFinite` asynchronous.
   */
  readonly mode?: GpujsMode;
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
  /** An existing gpu.js `GPU` instance to create kernels on (its mode must match `mode`). */
  readonly gpu?: unknown;
  /**
   * Numeric precision. Only `'single'` (IEEE float32 everywhere) is supported: the optimizers'
   * Newton–Schulz iterations do not survive gpu.js's lossy `'unsigned'` (RGBA8-packed) textures.
   */
  readonly precision?: 'single';
}

/** Memory and compilation counters of a {@link GpujsBackend}. */
export interface GpujsStats extends EngineStats {
  /** Tensors (persistent ones, and temporaries of open scopes) not yet freed. */
  readonly liveTensors: number;
}

interface Scope {
  readonly temps: Set<GpujsTensor>;
  readonly assigns: Array<readonly [GpujsTensor, GpujsTensor]>;
}

type Task = () => void | Promise<void>;


/** `[rows, cols]` of a tensor as the arithmetic sees it (2-D; 1-D is a row, 0-D is 1×1). */
function dims2(shape: Shape): readonly [number, number] {
  if (shape.length === 2) return [shape[0] as number, shape[1] as number];
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0] as number];
  const cols = shape[shape.length - 1] as number;
  return [sizeOf(shape) / Math.max(cols, 1), cols];
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The `@lmo/core` tensor contract on gpu.js kernels.
 *
 * Every primitive is one gpu.js kernel (two for full reductions), compiled once per (operation,
 * shape) and cached; numbers that vary between steps are kernel arguments, so a changing learning
 * rate never recompiles. In the device modes, results stay on the device (gpu.js pipeline mode:
 * textures or storage buffers); only {@link GpujsBackend.read}, {@link GpujsBackend.allFinite}
 * and uploads move data.
 *
 * Synchronous in `cpu`, `webasm` and `headlessgl`. In `webgpu` the primitives record their kernel
 * launches and {@link GpujsBackend.run} / {@link GpujsBackend.read} execute them, returning
 * promises.
 */
export class GpujsBackend implements TensorBackend<GpujsTensor> {
  readonly name: string;
  /** The gpu.js mode this backend runs in. */
  readonly mode: GpujsMode;
  private readonly engine: Engine;
  private readonly scopes: Scope[] = [];
  private readonly queue: Task[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** Flushes started and not yet finished (webgpu). */
  private inFlight = 0;
  private liveTensors = 0;
  private destroyed = false;

  /** Use {@link createGpujsBackend}. */
  constructor(options: GpujsBackendOptions = {}) {
    const mode = options.mode ?? 'cpu';
    if (options.precision !== undefined && options.precision !== 'single') {
      throw new LmoError('BACKEND', `@lmo/gpujs: precision '${String(options.precision)}' is not supported (only 'single')`);
    }
    if (mode === 'webgpu' && (options.navigatorGpu !== undefined || options.adapterOptions !== undefined)) {
      installNavigatorGpu(options.navigatorGpu, options.adapterOptions);
    }
    this.mode = mode;
    this.name = `gpujs-${mode}`;
    this.engine = new Engine(mode, options.gpu);
  }

  /** Whether `run`, `read` and `allFinite` return promises (the `webgpu` mode). */
  get async(): boolean {
    return this.engine.async;
  }

  /** Live tensors, device allocations, compiled kernels and launches: for leak tests and profiling. */
  stats(): GpujsStats {
    return { ...this.engine.stats(), liveTensors: this.liveTensors };
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  private schedule(task: Task): void {
    if (this.engine.async) {
      this.queue.push(task);
      return;
    }
    const r = task();
    if (r instanceof Promise) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: asynchronous kernel in a synchronous mode');
  }

  /** Execute every recorded launch (webgpu); a no-op for synchronous modes. */
  private flush(): MaybePromise<void> {
    if (!this.engine.async) return undefined;
    const tasks = this.queue.splice(0);
    if (tasks.length === 0 && this.inFlight === 0) return Promise.resolve();
    this.inFlight++;
    const run = this.tail
      .then(async () => {
        for (const task of tasks) await task();
      })
      .finally(() => {
        this.inFlight--;
      });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private check(x: GpujsTensor, what: string): void {
    if (!(x instanceof GpujsTensor) || x.owner !== this) {
      throw new LmoError('BACKEND', `@lmo/gpujs: ${what} is not a tensor of this backend`);
    }
    if (x.disposed) throw new LmoError('BACKEND', `@lmo/gpujs: ${what} has been disposed`);
  }

  private track(t: GpujsTensor, persistent: boolean): GpujsTensor {
    this.liveTensors++;
    const scope = this.scopes[this.scopes.length - 1];
    if (!persistent && scope !== undefined) scope.temps.add(t);
    return t;
  }

  private releaseStorage(s: Storage): void {
    if (--s.refs > 0 || s.empty) return;
    const release = (): void => {
      if (s.value !== null) this.engine.release(s.value);
      s.value = null;
    };
    if (!this.engine.async || (this.queue.length === 0 && this.inFlight === 0 && s.value !== null)) {
      // nothing recorded or executing can still read it
      release();
      return;
    }
    this.queue.push(release);
    if (this.scopes.length === 0) void this.flush();
  }

  private free(t: GpujsTensor): void {
    if (t.disposed) return;
    t.disposed = true;
    this.liveTensors--;
    this.releaseStorage(t.storage);
  }

  /** A new tensor whose storage is filled by `fill` (now, or when the queue runs). */
  private produce(shape: Shape, persistent: boolean, fill: (s: Storage) => MaybePromise<DeviceValue> | null): GpujsTensor {
    const storage = new Storage(sizeOf(shape));
    const t = this.track(new GpujsTensor(this, shape, storage), persistent);
    if (!storage.empty) {
      this.schedule(() => {
        const v = fill(storage);
        if (v instanceof Promise) {
          return v.then((value) => {
            storage.value = value;
          });
        }
        if (v !== null) storage.value = v;
        return undefined;
      });
    }
    return t;
  }

  /** Launch a kernel over `args` into a new temporary of shape `shape`. */
  private launch(shape: Shape, key: string, make: () => KernelSource, args: ReadonlyArray<GpujsTensor | number>): GpujsTensor {
    const size = sizeOf(shape);
    const emptyInput = args.some((a) => typeof a !== 'number' && a.size === 0);
    return this.produce(shape, false, () => {
      // a reduction over an empty axis: zeros (sum) — and max|x| of nothing is 0 too
      if (emptyInput) return this.engine.upload(new Float32Array(size));
      const values = args.map((a) => {
        if (typeof a === 'number') return a;
        const v = a.storage.value;
        if (v === null) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: input not computed');
        return v;
      });
      return this.engine.launch(key, make, values);
    });
  }

  // ---- data --------------------------------------------------------------------------------------

  fromArray(data: Float32Array, shape: Shape): GpujsTensor {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: ${data.length} values for shape [${shape.join(', ')}]`);
    }
    const copy = Float32Array.from(data);
    return this.produce(shape, true, () => this.engine.upload(copy));
  }

  read(x: GpujsTensor): MaybePromise<Float32Array> {
    this.check(x, 'read(x)');
    if (x.storage.empty) return new Float32Array(0);
    const storage = x.storage;
    const download = (): MaybePromise<Float32Array> => {
      if (storage.value === null) throw new LmoError('BACKEND', '@lmo/gpujs: tensor was freed before it was read');
      return this.engine.download(storage.value, storage.size);
    };
    if (!this.engine.async) return download();
    // keep the storage alive until the read has happened
    storage.refs++;
    const flushed = this.flush() as Promise<void>;
    return flushed.then(download).finally(() => {
      this.releaseStorage(storage);
      if (storage.refs === 0) void this.flush();
    });
  }

  shape(x: GpujsTensor): Shape {
    return x.shape;
  }

  zerosLike(x: GpujsTensor): GpujsTensor {
    this.check(x, 'zerosLike(x)');
    const size = x.size;
    return this.produce(x.shape, true, () => this.engine.upload(new Float32Array(size)));
  }

  reshape(x: GpujsTensor, shape: Shape): GpujsTensor {
    this.check(x, 'reshape(x)');
    if (sizeOf(shape) !== x.size) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
    }
    x.storage.refs++;
    return this.track(new GpujsTensor(this, shape, x.storage), false);
  }

  transpose(x: GpujsTensor): GpujsTensor {
    this.check(x, 'transpose(x)');
    const [m, n] = this.matrix(x, 'transpose');
    return this.launch([n, m], `transpose:${m}:${n}`, () => K.transpose(m, n), [x]);
  }

  private matrix(x: GpujsTensor, op: string): readonly [number, number] {
    if (x.shape.length !== 2) {
      throw new LmoError('UNSUPPORTED_SHAPE', `@lmo/gpujs: ${op} needs a 2-D tensor, got [${x.shape.join(', ')}]`);
    }
    return [x.shape[0] as number, x.shape[1] as number];
  }

  // ---- elementwise -------------------------------------------------------------------------------

  private same(a: GpujsTensor, b: GpujsTensor, op: string): void {
    this.check(a, `${op}(a)`);
    this.check(b, `${op}(b)`);
    if (!sameShape(a.shape, b.shape)) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: ${op} of [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    }
  }

  add(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    this.same(a, b, 'add');
    return this.launch(a.shape, `bin:+:full:${a.size}`, () => K.binary(1, a.size, '+', 'full'), [a, b]);
  }

  sub(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    this.same(a, b, 'sub');
    return this.launch(a.shape, `bin:-:full:${a.size}`, () => K.binary(1, a.size, '-', 'full'), [a, b]);
  }

  private broadcast(a: GpujsTensor, b: GpujsTensor, op: '*' | '/'): GpujsTensor {
    const name = op === '*' ? 'mul' : 'div';
    this.check(a, `${name}(a)`);
    this.check(b, `${name}(b)`);
    let mode: Broadcast;
    const [m, n] = dims2(a.shape);
    if (sameShape(a.shape, b.shape)) mode = 'full';
    else if (b.size === 1) mode = 'scalar';
    else if (b.shape.length === 2 && b.shape[0] === m && b.shape[1] === 1) mode = 'row';
    else if (b.shape.length === 2 && b.shape[0] === 1 && b.shape[1] === n) mode = 'col';
    else {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: ${name} cannot broadcast [${b.shape.join(', ')}] over [${a.shape.join(', ')}]`);
    }
    const key = mode === 'full' || mode === 'scalar' ? `bin:${op}:${mode}:${a.size}` : `bin:${op}:${mode}:${m}:${n}`;
    const [km, kn] = mode === 'full' || mode === 'scalar' ? [1, a.size] : [m, n];
    return this.launch(a.shape, key, () => K.binary(km, kn, op, mode), [a, b]);
  }

  mul(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return this.broadcast(a, b, '*');
  }

  div(a: GpujsTensor, b: GpujsTensor): GpujsTensor {
    return this.broadcast(a, b, '/');
  }

  scale(x: GpujsTensor, s: number): GpujsTensor {
    this.check(x, 'scale(x)');
    return this.launch(x.shape, `scale:${x.size}`, () => K.scale(x.size), [x, s]);
  }

  addScalar(x: GpujsTensor, s: number): GpujsTensor {
    this.check(x, 'addScalar(x)');
    return this.launch(x.shape, `addScalar:${x.size}`, () => K.addScalar(x.size), [x, s]);
  }

  axpby(alpha: number, x: GpujsTensor, beta: number, y: GpujsTensor): GpujsTensor {
    this.same(x, y, 'axpby');
    return this.launch(x.shape, `axpby:${x.size}`, () => K.axpby(x.size), [alpha, x, beta, y]);
  }

  sign(x: GpujsTensor): GpujsTensor {
    this.check(x, 'sign(x)');
    return this.launch(x.shape, `sign:${x.size}`, () => K.sign(x.size), [x]);
  }

  sqrt(x: GpujsTensor): GpujsTensor {
    this.check(x, 'sqrt(x)');
    return this.launch(x.shape, `sqrt:${x.size}`, () => K.unary(x.size, (v) => `Math.sqrt(${v})`), [x]);
  }

  abs(x: GpujsTensor): GpujsTensor {
    this.check(x, 'abs(x)');
    return this.launch(x.shape, `abs:${x.size}`, () => K.unary(x.size, (v) => `Math.abs(${v})`), [x]);
  }

  // ---- reductions --------------------------------------------------------------------------------

  private reduce(x: GpujsTensor, m: number, n: number, axis: 0 | 1, kind: Reduce): GpujsTensor {
    const shape = axis === 1 ? [m, 1] : [1, n];
    return this.launch(shape, `reduce:${kind}:${axis}:${m}:${n}`, () => K.reduce(m, n, axis, kind), [x]);
  }

  /** Full reduction to `[1, 1]`: one value per row, then `second` over the rows. */
  private reduceAll(x: GpujsTensor, first: Reduce, second: Reduce): GpujsTensor {
    const [m, n] = dims2(x.shape);
    const rows = this.reduce(x, m, n, 1, first);
    if (m === 1) return rows;
    const total = this.reduce(rows, m, 1, 0, second);
    this.free(rows);
    return total;
  }

  sumSquares(x: GpujsTensor, axis?: Axis): GpujsTensor {
    this.check(x, 'sumSquares(x)');
    if (axis === undefined) return this.reduceAll(x, 'sumSquares', 'sum');
    const [m, n] = this.matrix(x, 'sumSquares along an axis');
    return this.reduce(x, m, n, axis, 'sumSquares');
  }

  maxAbs(x: GpujsTensor): GpujsTensor {
    this.check(x, 'maxAbs(x)');
    return this.reduceAll(x, 'maxAbs', 'max');
  }

  allFinite(xs: readonly GpujsTensor[]): MaybePromise<boolean> {
    xs.forEach((x, i) => this.check(x, `allFinite(xs[${i}])`));
    const counts: GpujsTensor[] = [];
    for (const x of xs) {
      if (x.size === 0) continue;
      const c = this.reduceAll(x, 'nonFinite', 'sum');
      // reduceAll may have registered it in an open scope: we free it ourselves
      this.untrack(c);
      counts.push(c);
    }
    if (counts.length === 0) return true;
    let total = counts[0] as GpujsTensor;
    for (let i = 1; i < counts.length; i++) {
      const next = this.launch([1, 1], 'bin:+:full:1', () => K.binary(1, 1, '+', 'full'), [total, counts[i] as GpujsTensor]);
      this.untrack(next);
      this.free(total);
      this.free(counts[i] as GpujsTensor);
      total = next;
    }
    const finish = (v: Float32Array): boolean => {
      this.free(total);
      return v[0] === 0;
    };
    const read = this.read(total);
    if (read instanceof Promise) return read.then(finish);
    return finish(read);
  }

  private untrack(t: GpujsTensor): void {
    for (const scope of this.scopes) scope.temps.delete(t);
  }

  // ---- linear algebra ----------------------------------------------------------------------------

  matmul(a: GpujsTensor, b: GpujsTensor, options: MatmulOptions = {}): GpujsTensor {
    this.check(a, 'matmul(a)');
    this.check(b, 'matmul(b)');
    const ta = options.transposeA === true;
    const tb = options.transposeB === true;
    const [ar, ac] = this.matrix(a, 'matmul');
    const [br, bc] = this.matrix(b, 'matmul');
    const [m, k] = ta ? [ac, ar] : [ar, ac];
    const [k2, n] = tb ? [bc, br] : [br, bc];
    if (k !== k2) {
      throw new LmoError(
        'SHAPE_MISMATCH',
        `@lmo/gpujs: matmul of [${a.shape.join(', ')}]${ta ? 'ᵀ' : ''} and [${b.shape.join(', ')}]${tb ? 'ᵀ' : ''}`,
      );
    }
    if (k === 0) {
      return this.produce([m, n], false, () => this.engine.upload(new Float32Array(m * n)));
    }
    return this.launch([m, n], `matmul:${m}:${n}:${k}:${ta ? 1 : 0}${tb ? 1 : 0}`, () => K.matmul(m, n, k, ta, tb), [a, b]);
  }

  // ---- memory and effects ------------------------------------------------------------------------

  assign(target: GpujsTensor, value: GpujsTensor): void {
    this.check(target, 'assign(target)');
    this.check(value, 'assign(value)');
    if (target.size !== value.size) {
      throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: assign of [${value.shape.join(', ')}] into [${target.shape.join(', ')}]`);
    }
    const scope = this.scopes[this.scopes.length - 1];
    if (scope !== undefined) {
      // applied when the scope's computation has succeeded; keep the value alive until then
      value.storage.refs++;
      scope.assigns.push([target, value]);
      return;
    }
    this.applyAssign(target.storage, value.storage);
  }

  private applyAssign(target: Storage, value: Storage): void {
    if (target.empty) return;
    this.schedule(() => {
      if (target.value === null || value.value === null) {
        throw new LmoError('BACKEND', '@lmo/gpujs: internal error: assign of a value not computed');
      }
      const r = this.engine.assign(target.value, value.value, target.size);
      if (r instanceof Promise) {
        return r.then((v) => {
          target.value = v;
        });
      }
      target.value = r;
      return undefined;
    });
  }

  dispose(x: GpujsTensor): void {
    if (!(x instanceof GpujsTensor) || x.owner !== this || x.disposed) return;
    this.untrack(x);
    this.free(x);
  }

  run(fn: () => void): MaybePromise<void> {
    const scope: Scope = { temps: new Set(), assigns: [] };
    this.scopes.push(scope);
    let failed = false;
    try {
      fn();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.scopes.pop();
      for (const [target, value] of scope.assigns) {
        if (!failed) this.applyAssign(target.storage, value.storage);
        this.releaseStorage(value.storage);
      }
      for (const t of scope.temps) this.free(t);
    }
    return this.flush();
  }

  /** Free every kernel and the gpu.js instance. Tensors of this backend become unusable. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.engine.destroy();
  }
}

interface NavigatorGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Give gpu.js (which looks for `navigator.gpu`) the WebGPU entry point, with `adapterOptions`
 * merged into every adapter request.
 */
function installNavigatorGpu(given: unknown, adapterOptions: Readonly<Record<string, unknown>> | undefined): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  const base = (given ?? g.navigator?.gpu) as NavigatorGpu | undefined;
  if (base === undefined) {
    throw new LmoError('BACKEND', "@lmo/gpujs: mode 'webgpu' needs navigator.gpu (pass navigatorGpu: create() of the 'webgpu' package)");
  }
  let gpu: unknown = base;
  if (adapterOptions !== undefined) {
    gpu = new Proxy(base, {
      get(target, key) {
        if (key === 'requestAdapter') {
          return (options?: Record<string, unknown>) => target.requestAdapter({ ...adapterOptions, ...options });
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return;
  }
  try {
    (g.navigator as { gpu?: unknown }).gpu = gpu;
  } catch {
    // read-only (browsers)
  }
  if (g.navigator.gpu !== gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}

/**
 * Create the gpu.js backend.
 *
 * @example
 * ```ts
 * import { createGpujsBackend } from '@lmo/gpujs';
 * const backend = createGpujsBackend({ mode: 'webasm' });
 * const w = backend.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * ```
 */
export function createGpujsBackend(options: GpujsBackendOptions = {}): GpujsBackend {
  return new GpujsBackend(options);
}
