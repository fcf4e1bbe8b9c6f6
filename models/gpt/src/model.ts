import type { TensorBackend } from '@lmo/core';
import type { MaybePromise } from '@lmo/core/backend';
import type { Batch } from './data/batch.js';
import type { GPTConfig, ParamSpec } from './config.js';

/** Parameters (or gradients) by nanoGPT name, in {@link paramSpecs} order. */
export type ParamMap<T> = ReadonlyMap<string, T>;

/** The loss of a batch and ∂loss/∂param for every parameter. */
export interface LossAndGrads<T> {
  readonly loss: number;
  /** Owned by the model backend and valid until its next call: do not dispose or keep. */
  readonly grads: ParamMap<T>;
}

/**
 * The forward/backward boundary: one GPT implementation on one engine. The trainer only talks to
 * this, so a new engine (onnxruntime, gpu.js) plugs in by implementing it.
 *
 * Parameters are tensors of {@link tensors} (the core {@link TensorBackend} the optimizers run
 * on), persistent and assignable, so an optimizer updates them in place.
 */
export interface ModelBackend<T> {
  /** E.g. `"reference"`, `"tfjs-wasm"`. */
  readonly name: string;
  readonly config: GPTConfig;
  /** The tensor contract the parameters and gradients live in. */
  readonly tensors: TensorBackend<T>;
  /** Uploads initial weights (made on the CPU from the seed) as persistent parameter tensors. */
  createParams(init: ParamMap<Float32Array>): Map<string, T>;
  /**
   * Mean cross-entropy and gradients of a batch. With `into` (persistent gradient buffers, e.g.
   * ScionLight's `optimizer.gradients`) the backward pass accumulates into them, `G ← G + g`, and
   * returns them as the gradients: no gradient memory of the model's own is kept for the step.
   */
  lossAndGrads(params: ParamMap<T>, batch: Batch, into?: ParamMap<T>): MaybePromise<LossAndGrads<T>>;
  /** Mean cross-entropy of a batch (no gradients). */
  loss(params: ParamMap<T>, batch: Batch): MaybePromise<number>;
  /** Logits `[V]` of the last position of one sequence of `T ≤ block size` tokens (for sampling). */
  lastLogits(params: ParamMap<T>, tokens: Int32Array): MaybePromise<Float32Array>;
  /** Frees what the backend holds (not the parameters). */
  dispose(): void;
}

/**
 * The body of {@link ModelBackend.createParams}: one tensor per spec, in spec order, made by `make`
 * from the spec's initial value in `init` (a missing value is an error).
 */
export function createParamsFrom<T>(
  specs: readonly ParamSpec[],
  init: ParamMap<Float32Array>,
  make: (data: Float32Array, shape: readonly number[]) => T,
): Map<string, T> {
  return new Map(
    specs.map((s) => {
      const data = init.get(s.name);
      if (data === undefined) throw new Error(`missing initial value for ${s.name}`);
      return [s.name, make(data, s.shape)];
    }),
  );
}
