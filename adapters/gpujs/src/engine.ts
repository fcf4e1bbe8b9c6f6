/**
 * The thin layer between the backend and gpu.js: creating and caching kernels, moving data, and
 * owning device memory. One `Engine` per backend.
 * @internal
 */
import { GPU } from 'gpu.js';
import type { KernelSource } from './kernels.js';
import * as K from './kernels.js';

/**
 * The gpu.js modes this package drives.
 *
 * - `cpu`: gpu.js's JavaScript kernels. Works everywhere.
 * - `webasm`: gpu.js's WebAssembly (SIMD) kernels, run synchronously on the calling thread.
 * - `headlessgl`: WebGL 1 through the `gl` package (headless-gl); results stay in float textures.
 * - `webgpu`: WGSL compute shaders through a `navigator.gpu` (in Node: the `webgpu` package's
 *   `create()`); results stay in storage buffers and the backend becomes asynchronous.
 */
export type GpujsMode = 'cpu' | 'webasm' | 'headlessgl' | 'webgpu';

/** A device value: a host array (cpu, webasm), a GL texture, or a WebGPU buffer result. */
export type DeviceValue = Float32Array | DeviceHandle;

/** What gpu.js pipeline results (textures, WebGPU buffer results) have in common. */
export interface DeviceHandle {
  toArray(): unknown;
  delete(): void;
}

/** The part of a gpu.js kernel run-shortcut we use. */
interface KernelRun {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): unknown;
}

/** The part of a gpu.js `GPU` instance we use. */
interface GpuInstance {
  createKernel(source: string, settings: Record<string, unknown>): KernelRun;
  destroy(): unknown;
}

type GpuConstructor = new (settings: Record<string, unknown>) => GpuInstance;

/** Memory and compilation counters, for tests and leak hunting. */
export interface EngineStats {
  /** Device values (arrays, textures, buffers) allocated and not yet released. */
  readonly liveValues: number;
  /** Kernels compiled (one per operation and shape). */
  readonly kernels: number;
  /** Kernel launches so far. */
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
  throw new Error(`@lmo/gpujs: unexpected kernel result ${Object.prototype.toString.call(out)}`);
}

/**
 * Kernels, data movement and memory for one gpu.js mode.
 * Host modes (`cpu`, `webasm`) hold plain `Float32Array`s; device modes hold textures or buffers,
 * produced by kernels in gpu.js pipeline mode (`pipeline: true, immutable: true`) so that a result
 * never leaves the device unless it is read.
 */
export class Engine {
  readonly mode: GpujsMode;
  /** Whether kernel launches return promises (webgpu). */
  readonly async: boolean;
  readonly gpu: GpuInstance;
  private readonly cache = new Map<string, KernelRun>();
  private live = 0;
  private launchCount = 0;

  constructor(mode: GpujsMode, gpu?: unknown) {
    this.mode = mode;
    this.async = mode === 'webgpu';
    this.gpu = (gpu as GpuInstance | undefined) ?? new (GPU as unknown as GpuConstructor)({ mode });
  }

  /** Whether values are host arrays (no device memory to manage). */
  get host(): boolean {
    return this.mode === 'cpu' || this.mode === 'webasm';
  }

  stats(): EngineStats {
    return { liveValues: this.live, kernels: this.cache.size, launches: this.launchCount };
  }

  /** The cached kernel for `key`, compiled from `make()` on first use. */
  kernel(key: string, make: () => KernelSource): { run: KernelRun; size: number } {
    let run = this.cache.get(key);
    if (run === undefined) {
      const { source, size } = make();
      run = this.gpu.createKernel(source, {
        output: [size],
        pipeline: !this.host,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: false,
        dynamicArguments: false,
      });
      (run as KernelRun & { __size?: number }).__size = size;
      this.cache.set(key, run);
    }
    return { run, size: (run as KernelRun & { __size?: number }).__size ?? 0 };
  }

  /** Launch a kernel; the result is a new device value (or a promise of one). */
  launch(key: string, make: () => KernelSource, args: readonly (DeviceValue | number)[]): DeviceValue | Promise<DeviceValue> {
    const { run, size } = this.kernel(key, make);
    this.launchCount++;
    const out = run(...args);
    if (out instanceof Promise) {
      return out.then((v: unknown) => this.adopt(v, size));
    }
    return this.adopt(out, size);
  }

  private adopt(out: unknown, size: number): DeviceValue {
    this.live++;
    if (this.host) return flatten(out, size);
    return out as DeviceHandle;
  }

  /** A device value holding a copy of `data`. */
  upload(data: Float32Array): DeviceValue | Promise<DeviceValue> {
    if (this.host) {
      this.live++;
      return data.slice();
    }
    return this.launch(`copy:${data.length}`, () => K.copy(data.length), [data]);
  }

  /** The values of `v` (a fresh array). */
  download(v: DeviceValue, size: number): Float32Array | Promise<Float32Array> {
    if (isHost(v)) return v.slice(0, size);
    const out = v.toArray();
    if (out instanceof Promise) return out.then((o: unknown) => flatten(o, size).slice());
    return flatten(out, size).slice();
  }

  /**
   * Copy `value` into the storage currently holding `old`. Host arrays are overwritten in place
   * (the same array stays the parameter's storage); device values are replaced by a copy and the
   * old one is released.
   */
  assign(old: DeviceValue, value: DeviceValue, size: number): DeviceValue | Promise<DeviceValue> {
    if (isHost(old) && isHost(value)) {
      old.set(value.subarray(0, size));
      return old;
    }
    const copied = this.launch(`copy:${size}`, () => K.copy(size), [value]);
    if (copied instanceof Promise) {
      return copied.then((c) => {
        this.release(old);
        return c;
      });
    }
    this.release(old);
    return copied;
  }

  /** Free a device value. */
  release(v: DeviceValue): void {
    this.live--;
    if (!isHost(v)) v.delete();
  }

  /** Destroy every kernel and the gpu.js instance. */
  destroy(): void {
    for (const run of this.cache.values()) {
      try {
        run.destroy?.(true);
      } catch {
        // already destroyed with its context
      }
    }
    this.cache.clear();
    try {
      const done = this.gpu.destroy();
      if (done instanceof Promise) done.catch(() => undefined);
    } catch {
      // nothing left to free
    }
  }
}
