/**
 * Compiles, caches and launches the model's gpu.js kernels, and owns the activations they produce.
 */
import type { MaybePromise } from '@lmo/core/backend';
import { kernelSettings, type DeviceHandle, type DeviceValue, type GpujsMode, type KernelSettings } from '@lmo/gpujs';
import type { KernelSource } from './kernels.js';

/** A kernel input or output: a host array (cpu, webasm) or a device-resident result (GPU modes). */
export type { DeviceValue };

interface KernelRun {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): unknown;
}

/** The part of a gpu.js `GPU` instance used here. */
export interface GpuLike {
  createKernel(source: string, settings: KernelSettings): KernelRun;
}

/** Flattens a gpu.js readback (a typed array, or nested rows of them) to `size` floats. */
export function toFloat32(out: unknown, size: number): Float32Array {
  if (out instanceof Float32Array) return out.length === size ? out : out.subarray(0, size);
  if (ArrayBuffer.isView(out)) return Float32Array.from(out as unknown as ArrayLike<number>).subarray(0, size);
  if (Array.isArray(out)) {
    const r = new Float32Array(size);
    let o = 0;
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) {
        for (const y of x) walk(y);
      } else if (ArrayBuffer.isView(x)) {
        for (const v of Array.from(x as unknown as ArrayLike<number>)) if (o < size) r[o++] = v;
      } else if (o < size) {
        r[o++] = x as number;
      }
    };
    walk(out);
    return r;
  }
  throw new Error(`gpujs model: unexpected kernel result ${Object.prototype.toString.call(out)}`);
}

/**
 * Kernels by key (operation and shape), each compiled once on first use. In host modes kernels return
 * fresh `Float32Array`s (gpu.js `immutable`); in GPU modes they run in pipeline mode so results stay
 * on the device, and every result is recorded so that {@link releaseTemps} can free it.
 */
export class KernelRunner {
  private readonly cache = new Map<string, { run: KernelRun; size: number }>();
  private temps: DeviceValue[] = [];
  launches = 0;

  /** Whether values are host arrays (`cpu`, `webasm`). */
  readonly host: boolean;

  constructor(
    private readonly gpu: GpuLike,
    private readonly mode: GpujsMode,
  ) {
    this.host = mode === 'cpu' || mode === 'webasm';
  }

  /** Compiled kernels so far. */
  get kernels(): number {
    return this.cache.size;
  }

  /** Runs kernel `key` (compiled from `make()` the first time) on `args`. */
  run(key: string, make: () => KernelSource, args: readonly (DeviceValue | number)[]): MaybePromise<DeviceValue> {
    let k = this.cache.get(key);
    if (k === undefined) {
      const { source, size } = make();
      const run = this.gpu.createKernel(source, kernelSettings(this.mode, size));
      k = { run, size };
      this.cache.set(key, k);
    }
    this.launches++;
    const size = k.size;
    const out = k.run(...args);
    if (out instanceof Promise) return out.then((v: unknown) => this.adopt(v, size));
    return this.adopt(out, size);
  }

  private adopt(out: unknown, size: number): DeviceValue {
    if (this.host) return toFloat32(out, size);
    const v = out as DeviceHandle;
    this.temps.push(v);
    return v;
  }

  /** Takes `v` out of the temporaries (its new owner frees it). */
  keep(v: DeviceValue): void {
    const i = this.temps.indexOf(v);
    if (i >= 0) this.temps.splice(i, 1);
  }

  /** Frees every device result of the previous pass. */
  releaseTemps(): void {
    for (const v of this.temps) if (!(v instanceof Float32Array)) v.delete();
    this.temps = [];
  }

  /** The first `size` values of `v` on the host. */
  read(v: DeviceValue, size: number): MaybePromise<Float32Array> {
    if (v instanceof Float32Array) return v.subarray(0, size);
    const out = v.toArray();
    if (out instanceof Promise) return out.then((o: unknown) => toFloat32(o, size));
    return toFloat32(out, size);
  }

  /** Destroys every compiled kernel. */
  destroy(): void {
    this.releaseTemps();
    for (const { run } of this.cache.values()) {
      try {
        run.destroy?.(true);
      } catch {
        // destroyed with its context already
      }
    }
    this.cache.clear();
  }
}
