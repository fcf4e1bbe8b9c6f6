/**
 * The tensor handle and the device memory behind it. A tensor's memory and bookkeeping are ES
 * private fields, reached only from inside this package.
 */
import type { Shape } from '@lmo/core';
import type { DeviceValue } from './types.js';

/** Device memory shared by a tensor and its reshaped views, freed when the last one lets go. */
export class Storage {
  /** The value; `null` until computed (webgpu computes when the recording scope executes) and after release. */
  value: DeviceValue | null = null;
  /** Tensors (and pending writes in synchronous scopes) holding this memory. */
  refs = 1;
  /** Whether its value has been freed for good (a value computed later is freed at once). */
  released = false;
  /** Why its value could not be computed (a kernel or upload that failed), reported where it is used. */
  failure: Error | null = null;
  /** Zero-size storage: a host placeholder the engine never allocated. */
  readonly empty: boolean;

  constructor(readonly size: number) {
    this.empty = size === 0;
    if (this.empty) this.value = new Float32Array(0);
  }
}

/** What the package knows about a tensor. */
export interface TensorState {
  /** The runtime (one per backend instance) that made the tensor. */
  readonly owner: object;
  readonly storage: Storage;
  disposed: boolean;
}

let stateOf: (t: GpujsTensor) => TensorState;
let construct: (shape: Shape, state: TensorState) => GpujsTensor;
let branded: (x: object) => boolean;

/**
 * A tensor of the gpu.js backend: a shape plus device memory (a `Float32Array` in the `cpu` and
 * `webasm` modes, a float texture in the GL modes, a storage buffer in `webgpu`). Made by a
 * `GpujsBackend` (`fromArray`, `zerosLike`, `adopt`, and its operations); its memory is reached
 * through `GpujsBackend.deviceValue`.
 */
export class GpujsTensor {
  /** The tensor's shape (frozen). */
  readonly shape: Shape;
  /** The number of elements. */
  readonly size: number;
  readonly #state: TensorState;

  private constructor(shape: Shape, state: TensorState) {
    this.shape = Object.freeze(shape.slice());
    this.size = state.storage.size;
    this.#state = state;
  }

  static {
    stateOf = (t) => t.#state;
    construct = (shape, state) => new GpujsTensor(shape, state);
    branded = (x) => #state in x;
  }
}

/** A new tensor over `storage` (whose reference the caller has already counted). */
export function makeTensor(owner: object, shape: Shape, storage: Storage): GpujsTensor {
  return construct(shape, { owner, storage, disposed: false });
}

/** The state of `x` when it is a tensor of this package (of any backend), otherwise `undefined`. */
export function tensorState(x: unknown): TensorState | undefined {
  if (typeof x !== 'object' || x === null || !branded(x)) return undefined;
  return stateOf(x as GpujsTensor);
}
