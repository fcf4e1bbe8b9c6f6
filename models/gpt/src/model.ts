import type { StorageDtype, TensorBackend } from '@lmo/core';
import type { MaybePromise } from '@lmo/core/backend';
import type { Batch } from './data/batch.js';
import { UsageError } from './errors.js';
import type { GPTConfig, ParamSpec } from './config.js';

/** Parameters (or gradients) by nanoGPT name, in {@link paramSpecs} order. */
export type ParamMap<T> = ReadonlyMap<string, T>;

/**
 * What training needs of an optimizer: one update per step. Core's optimizers (`scion`, `adamw`,
 * `scionLight`, …) fit as they are.
 */
export interface StepOptimizer<T> {
  /** One update of the parameters it was built on, from `grads` — or from its own {@link gradients}. */
  step(grads?: ParamMap<T>): MaybePromise<void>;
  /**
   * Gradient buffers the backward pass adds each step's gradients into, `G ← G + ∂L/∂θ`, before
   * `step()` is called without gradients (core's ScionLight, whose G is its momentum). Absent or
   * empty for every other optimizer.
   */
  readonly gradients?: ParamMap<T>;
  dispose(): void;
}

/** The GPT with one set of weights: evaluation and sampling. */
export interface GptSession<T> {
  readonly config: GPTConfig;
  /** The weights, persistent tensors of the model's {@link GptModel.tensors}, by nanoGPT name. */
  readonly params: ParamMap<T>;
  /** Mean cross-entropy of a batch (no gradients). */
  loss(batch: Batch): Promise<number>;
  /** Logits `[V]` of the last position of one sequence of `T ≤ block size` tokens (for sampling). */
  lastLogits(tokens: Int32Array): Promise<Float32Array>;
  /** Frees the weights and whatever the session holds (the optimizer too, in training). */
  dispose(): Promise<void>;
}

/** The GPT with weights and an optimizer over them: training. */
export interface GptTraining<T, O extends StepOptimizer<T> = StepOptimizer<T>> extends GptSession<T> {
  readonly optimizer: O;
  /**
   * One training step on a batch: forward, backward — accumulating into `optimizer.gradients` when
   * the optimizer keeps them — and the optimizer's step. Resolves to the batch's loss before the update.
   */
  step(batch: Batch): Promise<number>;
}

/**
 * nanoGPT's GPT on one engine: what the trainer, the benchmarks and the pages talk to. Every model
 * trains with every optimizer, ScionLight's accumulating backward pass included.
 */
export interface GptModel<T> {
  /** E.g. `"reference"`, `"tfjs-wasm"`, `"onnxruntime"`. */
  readonly name: string;
  readonly config: GPTConfig;
  /** The tensor contract the parameters and gradients live in (the optimizers run on it). */
  readonly tensors: TensorBackend<T>;
  /**
   * The dtypes its weights may be stored in (`dtype` of {@link session} and {@link train});
   * float32 alone when absent. A model is given only these.
   */
  readonly dtypes?: readonly StorageDtype[];
  /**
   * The model with `weights` (made on the CPU, e.g. by `initParams`), for evaluation and sampling,
   * stored in `dtype` (default float32; the values rounded to nearest even).
   */
  session(weights: ParamMap<Float32Array>, dtype?: StorageDtype): Promise<GptSession<T>>;
  /**
   * The model with `weights` (stored in `dtype`, as for {@link session}) and the optimizer
   * `optimizer(params)` builds over them, for training on batches of `batchSize` sequences (a model
   * that compiles its training graph, as onnxruntime's does, builds it for that size).
   */
  train<O extends StepOptimizer<T>>(weights: ParamMap<Float32Array>, optimizer: (params: ParamMap<T>) => O, batchSize: number, dtype?: StorageDtype): Promise<GptTraining<T, O>>;
  /** Frees what the model holds (sessions and trainings free their own; use none of them afterwards). */
  dispose(): Promise<void>;
}

/** The loss of a batch and ∂loss/∂param for every parameter. */
export interface LossAndGrads<T> {
  readonly loss: number;
  /** Owned by the model and valid until its next call: do not dispose or keep. */
  readonly grads: ParamMap<T>;
}

/**
 * A GPT whose forward and backward passes run on the engine of a core tensor backend (the
 * reference, tfjs and gpu.js models); {@link GradientModel} makes it a {@link GptModel}. Every
 * method is required: a model that cannot accumulate into ScionLight's buffers does not type-check.
 */
export interface DifferentiableGpt<T> {
  readonly name: string;
  readonly config: GPTConfig;
  readonly tensors: TensorBackend<T>;
  /** Uploads weights as persistent parameter tensors, in spec order. */
  createParams(init: ParamMap<Float32Array>): Map<string, T>;
  /** Mean cross-entropy of a batch and its gradients. */
  lossAndGrads(params: ParamMap<T>, batch: Batch): MaybePromise<LossAndGrads<T>>;
  /**
   * The backward pass into persistent buffers: `G ← G + ∂L/∂θ` for every parameter, with no gradient
   * memory of the model's own kept for the step. Resolves to the batch's loss.
   */
  accumulateGrads(params: ParamMap<T>, batch: Batch, into: ParamMap<T>): MaybePromise<number>;
  /** Mean cross-entropy of a batch (no gradients). */
  loss(params: ParamMap<T>, batch: Batch): MaybePromise<number>;
  /** Logits `[V]` of the last position of one sequence of `T ≤ block size` tokens. */
  lastLogits(params: ParamMap<T>, tokens: Int32Array): MaybePromise<Float32Array>;
  /** Frees what the model holds (not the parameters). */
  dispose(): void;
}

/**
 * Refuses a weight dtype that `model` does not store ({@link GptModel.dtypes}): a usage error naming
 * the backend and the dtypes it has, never a silent float32 run.
 */
export function requireDtype(model: Pick<GptModel<unknown>, 'name' | 'dtypes'>, dtype: StorageDtype): void {
  const has = model.dtypes ?? ['float32'];
  if (!has.includes(dtype)) {
    throw new UsageError(`--dtype ${dtype}: backend ${model.name} stores its weights in ${has.join(', ')} only (16-bit weights train on onnxruntime)`);
  }
}

/** Whether `optimizer` keeps gradient buffers for the backward pass to accumulate into. */
export function accumulates<T>(optimizer: StepOptimizer<T>): optimizer is StepOptimizer<T> & { readonly gradients: ParamMap<T> } {
  return (optimizer.gradients?.size ?? 0) > 0;
}

/** A {@link DifferentiableGpt} as a {@link GptModel}: the training step is its backward pass, then the optimizer's step. */
export class GradientModel<T> implements GptModel<T> {
  constructor(readonly gpt: DifferentiableGpt<T>) {}

  get name(): string {
    return this.gpt.name;
  }

  get config(): GPTConfig {
    return this.gpt.config;
  }

  get tensors(): TensorBackend<T> {
    return this.gpt.tensors;
  }

  async session(weights: ParamMap<Float32Array>, dtype: StorageDtype = 'float32'): Promise<GptSession<T>> {
    requireDtype(this, dtype);
    const { gpt } = this;
    const params = gpt.createParams(weights);
    return {
      config: gpt.config,
      params,
      loss: async (batch) => gpt.loss(params, batch),
      lastLogits: async (tokens) => gpt.lastLogits(params, tokens),
      dispose: async () => disposeAll(gpt.tensors, params),
    };
  }

  async train<O extends StepOptimizer<T>>(weights: ParamMap<Float32Array>, build: (params: ParamMap<T>) => O, _batchSize?: number, dtype: StorageDtype = 'float32'): Promise<GptTraining<T, O>> {
    const { gpt } = this;
    const session = await this.session(weights, dtype);
    const { params } = session;
    let optimizer: O;
    try {
      optimizer = build(params);
    } catch (e) {
      await session.dispose();
      throw e;
    }
    return {
      ...session,
      optimizer,
      async step(batch) {
        if (accumulates(optimizer)) {
          const loss = await gpt.accumulateGrads(params, batch, optimizer.gradients);
          await optimizer.step();
          return loss;
        }
        const { loss, grads } = await gpt.lossAndGrads(params, batch);
        await optimizer.step(grads);
        return loss;
      },
      async dispose() {
        optimizer.dispose();
        await session.dispose();
      },
    };
  }

  async dispose(): Promise<void> {
    this.gpt.dispose();
  }
}

/** Frees every tensor of `tensors`. */
export function disposeAll<T>(backend: TensorBackend<T>, tensors: ParamMap<T>): void {
  for (const t of tensors.values()) backend.dispose(t);
}

/**
 * The body of {@link DifferentiableGpt.createParams}: one tensor per spec, in spec order, made by
 * `make` from the spec's initial value in `init` (a missing value is an error).
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
