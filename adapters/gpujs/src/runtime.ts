/**
 * One backend instance's bookkeeping: its tensors, their device memory, and how kernel launches
 * are carried out (at once, or recorded and run later: see {@link Execution}).
 */
import { LmoError, type Shape } from '@lmo/core';
import { andThen, sizeOf, type MaybePromise } from '@lmo/core/backend';
import type { Engine } from './engine.js';
import type { KernelSource } from './kernels.js';
import { Storage, makeTensor, tensorState, type GpujsTensor, type TensorState } from './tensor.js';
import type { DeviceValue } from './types.js';

/** One unit of device work: a kernel launch, an upload. */
export type Task = () => MaybePromise<void>;

/** How a backend carries out device work: synchronously, or on core's `DeferredExecution`. */
export interface Execution {
  /**
   * Runs `task` now (synchronous modes), or records it in the recording scope or queues it
   * (webgpu). `keep`: it fills a persistent tensor, so it must run even when its scope does not.
   */
  schedule(task: Task, keep: boolean): void;
  /** The temporaries of the innermost open scope, where a temporary made now belongs. */
  temps(): Set<GpujsTensor> | undefined;
  /** Frees `s`'s value once nothing issued before can read it any more. */
  release(s: Storage): void;
}

/** A tensor to check for NaN and ±Inf (a guard, an `allFinite` operand): its memory and shape. */
export interface Checked {
  readonly storage: Storage;
  readonly shape: Shape;
}

/** The storage of a tensor made by this package. */
export function storageOf(t: GpujsTensor): Storage {
  return tensorState(t)!.storage;
}

/** The value of an input, which must have been computed. */
export function valueOf(s: Storage): DeviceValue {
  if (s.value === null) {
    if (s.failure !== null) throw s.failure;
    throw new LmoError('BACKEND', '@lmo/gpujs: a kernel input was not computed (an earlier kernel failed, or the tensor was freed)');
  }
  return s.value;
}

export class Runtime {
  readonly engine: Engine;
  #exec: Execution | undefined;
  #live = 0;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  get exec(): Execution {
    return this.#exec!;
  }

  set exec(e: Execution) {
    this.#exec = e;
  }

  /** Tensors made and not yet freed. */
  get liveTensors(): number {
    return this.#live;
  }

  /** Whether `x` is a live tensor of this runtime (none is, once the backend was destroyed). */
  owns(x: unknown): x is GpujsTensor {
    const s = tensorState(x);
    return s !== undefined && s.owner === this && !s.disposed && !this.engine.destroyed;
  }

  /** Whether `x` is a tensor of this runtime, disposed or not. */
  owned(x: unknown): x is GpujsTensor {
    return tensorState(x)?.owner === this;
  }

  /** `x`'s state, after checking that it is a live tensor of this backend. */
  check(x: unknown, what: string): TensorState {
    const s = tensorState(x);
    this.engine.alive();
    if (s === undefined || s.owner !== this) throw new LmoError('BACKEND', `@lmo/gpujs: ${what} is not a tensor of this backend`);
    if (s.disposed) throw new LmoError('BACKEND', `@lmo/gpujs: ${what} has been disposed`);
    return s;
  }

  /** A new tensor over `storage`; a temporary of the open scope when `temp`. */
  tensor(shape: Shape, storage: Storage, temp: boolean): GpujsTensor {
    const t = makeTensor(this, shape, storage);
    this.#live++;
    if (temp) this.exec.temps()?.add(t);
    return t;
  }

  /**
   * A new tensor whose memory `fill` provides (now, or when the scheduled task runs). `keep`: an
   * upload into a persistent tensor, due even when its scope does not execute.
   */
  produce(shape: Shape, temp: boolean, fill: () => MaybePromise<DeviceValue>, keep = false): GpujsTensor {
    const storage = new Storage(sizeOf(shape));
    const t = this.tensor(shape, storage, temp);
    if (!storage.empty) {
      this.exec.schedule(
        () => {
          try {
            const filled = andThen(fill(), (v) => {
              if (storage.released) this.engine.release(v); // freed before it was computed
              else storage.value = v;
            });
            // a failure is kept for whoever uses the value (a failed upload outside a run surfaces there)
            return filled instanceof Promise ? filled.catch((error: unknown) => this.#failed(storage, error)) : filled;
          } catch (error) {
            return this.#failed(storage, error);
          }
        },
        keep,
      );
    }
    return t;
  }

  /** A tensor holding a copy of `data`: a persistent upload, or zeros standing in for a kernel's result. */
  upload(shape: Shape, data: Float32Array, temp: boolean): GpujsTensor {
    return this.produce(shape, temp, () => this.engine.upload(data), !temp);
  }

  /** Zeros of `shape`. */
  zeros(shape: Shape, temp: boolean): GpujsTensor {
    return this.upload(shape, new Float32Array(sizeOf(shape)), temp);
  }

  /**
   * Launches kernel `key` (compiled from `make()` once) over `args` into a new tensor of `shape`:
   * a temporary of the open scope, or, with `temp: false`, one the caller frees.
   */
  launch(shape: Shape, key: string, make: () => KernelSource, args: ReadonlyArray<Storage | number>, temp = true): GpujsTensor {
    // an empty input and a non-empty output: a reduction over an empty axis, which is zeros
    if (args.some((a) => typeof a !== 'number' && a.empty)) return this.zeros(shape, temp);
    return this.produce(shape, temp, () =>
      this.engine.launch(
        key,
        make,
        args.map((a) => (typeof a === 'number' ? a : valueOf(a))),
      ),
    );
  }

  #failed(storage: Storage, error: unknown): never {
    storage.failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  }

  /** Frees a tensor: its memory goes when no view or pending write holds it. `now`: nothing can still read it. */
  free(t: GpujsTensor, now = false): void {
    const s = tensorState(t)!;
    if (s.disposed) return;
    s.disposed = true;
    this.#live--;
    this.unref(s.storage, now);
  }

  /** Drops one reference to `s`, freeing its value with the last one. */
  unref(s: Storage, now = false): void {
    if (--s.refs > 0 || s.empty) return;
    if (now) this.releaseNow(s);
    else this.exec.release(s);
  }

  /** Frees `s`'s value at once. */
  releaseNow(s: Storage): void {
    if (s.value !== null && !s.empty) this.engine.release(s.value);
    s.value = null;
    s.released = true;
  }
}
