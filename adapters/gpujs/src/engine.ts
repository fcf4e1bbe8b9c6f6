/**
 * The thin layer between the backend and gpu.js: creating and caching kernels, moving data, and
 * owning device memory. One `Engine` per backend.
 */
import { LmoError } from '@lmo/core';
import type { MaybePromise } from '@lmo/core/backend';
import { GPU } from 'gpu.js';
import { gpujsError } from './errors.js';
import type { KernelSource } from './kernels.js';
import * as K from './kernels.js';
import { kernelSettings, type KernelSettings } from './kernel-settings.js';
import { isHostMode } from './modes.js';
import type { DeviceHandle, DeviceValue, GpujsMode } from './types.js';

/** The part of a gpu.js kernel run-shortcut we use. */
interface KernelRun {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): unknown;
}

/** The part of a gpu.js `GPU` instance we use. */
interface GpuInstance {
  createKernel(source: string, settings: KernelSettings): KernelRun;
  destroy(): unknown;
}

type GpuConstructor = new (settings: Record<string, unknown>) => GpuInstance;

/** Memory and compilation counters of an engine. */
export interface EngineStats {
  readonly liveValues: number;
  readonly kernels: number;
  readonly launches: number;
}

function isHost(v: DeviceValue): v is Float32Array {
  return v instanceof Float32Array;
}

function flatten(out: unknown, size: number): Float32Array {
  if (out instanceof Float32Array) return out.length === size ? out : out.slice(0, size);
  if (ArrayBuffer.isView(out)) return Float32Array.from(out as unknown as ArrayLike<number>).slice(0, size);
  if (Array.isArray(out)) {
    // a multi-dimensional readback: rows of typed arrays
    const result = new Float32Array(size);
    let offset = 0;
    const walk = (x: unknown): void => {
      if (offset >= size) return;
      if (Array.isArray(x)) {
        for (const y of x) walk(y);
      } else if (ArrayBuffer.isView(x)) {
        const row = x as unknown as ArrayLike<number>;
        const count = Math.min(row.length, size - offset);
        for (let i = 0; i < count; i++) result[offset + i] = row[i] as number;
        offset += count;
      } else {
        result[offset++] = x as number;
      }
    };
    walk(out);
    return result;
  }
  throw new LmoError('BACKEND', `@lmo/gpujs: unexpected kernel result ${Object.prototype.toString.call(out)}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v;
}

/**
 * Kernels, data movement and memory for one gpu.js mode.
 * Host modes (`cpu`, `webasm`) hold plain `Float32Array`s; device modes hold textures or buffers,
 * produced by kernels in gpu.js pipeline mode (`pipeline: true, immutable: true`) so that a result
 * never leaves the device unless it is read.
 */
export class Engine {
  readonly mode: GpujsMode;
  /** Whether kernel launches return Promises (webgpu). */
  readonly async: boolean;
  /** Whether values are host arrays (no device memory to manage). */
  readonly host: boolean;
  readonly #gpu: GpuInstance;
  readonly #cache = new Map<string, { run: KernelRun; size: number }>();
  #live = 0;
  #launches = 0;
  #destroyed = false;

  constructor(mode: GpujsMode, gpu?: unknown) {
    this.mode = mode;
    this.async = mode === 'webgpu';
    this.host = isHostMode(mode);
    try {
      this.#gpu = (gpu as GpuInstance | undefined) ?? new (GPU as unknown as GpuConstructor)({ mode });
    } catch (error) {
      throw gpujsError(mode, 'creating the gpu.js instance', error);
    }
  }

  /** Whether {@link destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Throws unless the engine can still run kernels. */
  alive(): void {
    if (this.#destroyed) throw new LmoError('BACKEND', '@lmo/gpujs: this backend was destroyed (destroy() freed its kernels and memory); create a new backend');
  }

  stats(): EngineStats {
    return { liveValues: this.#live, kernels: this.#cache.size, launches: this.#launches };
  }

  /** The cached kernel for `key`, compiled from `make()` on first use. */
  #kernel(key: string, make: () => KernelSource): { run: KernelRun; size: number } {
    let k = this.#cache.get(key);
    if (k === undefined) {
      const { source, size } = make();
      const run = this.#gpu.createKernel(source, kernelSettings(this.mode, size));
      k = { run, size };
      this.#cache.set(key, k);
    }
    return k;
  }

  /** Launches a kernel; the result is a new device value (or a Promise of one). */
  launch(key: string, make: () => KernelSource, args: readonly (DeviceValue | number)[]): MaybePromise<DeviceValue> {
    this.alive();
    let out: unknown;
    let size: number;
    try {
      const kernel = this.#kernel(key, make);
      size = kernel.size;
      this.#launches++;
      out = kernel.run(...args);
    } catch (error) {
      throw gpujsError(this.mode, `kernel ${key}`, error);
    }
    if (out instanceof Promise) {
      return out.then(
        (v: unknown) => this.#own(v, size),
        (error: unknown) => {
          throw gpujsError(this.mode, `kernel ${key}`, error);
        },
      );
    }
    return this.#own(out, size);
  }

  #own(out: unknown, size: number): DeviceValue {
    this.#live++;
    if (this.host) return flatten(out, size);
    return out as DeviceHandle;
  }

  /**
   * Takes ownership of a value made outside the engine (by a kernel on the same gpu.js instance),
   * after checking that it is of this mode's kind and holds `size` values.
   */
  adopt(value: unknown, size: number, what: string): DeviceValue {
    if (this.host) {
      if (!(value instanceof Float32Array)) {
        throw new LmoError('BACKEND', `@lmo/gpujs: ${what} must be a Float32Array in mode '${this.mode}', got ${describe(value)}`);
      }
      if (value.length !== size) {
        throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: ${what} holds ${value.length} values, the shape needs ${size}`);
      }
    } else {
      const h = value as Partial<DeviceHandle> & { output?: unknown } | null;
      if (typeof h !== 'object' || h === null || h instanceof Float32Array || typeof h.toArray !== 'function' || typeof h.delete !== 'function') {
        throw new LmoError('BACKEND', `@lmo/gpujs: ${what} must be a gpu.js pipeline result (texture or buffer) in mode '${this.mode}', got ${describe(value)}`);
      }
      if (Array.isArray(h.output)) {
        const n = (h.output as number[]).reduce((p, d) => p * d, 1);
        if (n !== size) throw new LmoError('SHAPE_MISMATCH', `@lmo/gpujs: ${what} holds ${n} values (output [${h.output.join(', ')}]), the shape needs ${size}`);
      }
    }
    this.#live++;
    return value as DeviceValue;
  }

  /** A device value holding `data`'s values (in the host modes `data` itself: give a fresh array). */
  upload(data: Float32Array): MaybePromise<DeviceValue> {
    this.alive();
    if (this.host) {
      this.#live++;
      return data;
    }
    return this.launch(`copy:${data.length}`, () => K.copy(data.length), [data]);
  }

  /** A new device value holding a copy of `v`'s first `size` values. */
  copy(v: DeviceValue, size: number): MaybePromise<DeviceValue> {
    this.alive();
    if (isHost(v)) {
      this.#live++;
      return v.slice(0, size);
    }
    return this.launch(`copy:${size}`, () => K.copy(size), [v]);
  }

  /** The values of `v` (a fresh array). */
  download(v: DeviceValue, size: number): MaybePromise<Float32Array> {
    this.alive();
    if (isHost(v)) return v.slice(0, size);
    let out: unknown;
    try {
      out = v.toArray();
    } catch (error) {
      throw gpujsError(this.mode, 'reading a value back', error);
    }
    if (out instanceof Promise) {
      return out.then(
        (o: unknown) => flatten(o, size).slice(),
        (error: unknown) => {
          throw gpujsError(this.mode, 'reading a value back', error);
        },
      );
    }
    return flatten(out, size).slice();
  }

  /** Frees a device value. */
  release(v: DeviceValue): void {
    this.#live--;
    if (!isHost(v)) v.delete();
  }

  /** Destroys every kernel and the gpu.js instance; the engine refuses work afterwards. */
  destroy(): void {
    this.#destroyed = true;
    for (const { run } of this.#cache.values()) {
      try {
        run.destroy?.(true);
      } catch {
        // already destroyed with its context
      }
    }
    this.#cache.clear();
    try {
      const done = this.#gpu.destroy();
      if (done instanceof Promise) done.catch(() => undefined);
    } catch {
      // nothing left to free
    }
  }
}
