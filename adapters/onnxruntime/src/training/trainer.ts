/**
 * Training an ONNX model: forward, loss and backward in one onnxruntime run per step, then the
 * optimizer's step on the parameters, which stay resident as {@link OnnxBackend} tensors (fed to
 * the training session without copies; the gradients adopted without copies).
 */
import { LmoError, type StorageDtype } from '@lmo/core';
import { STORAGE_DTYPES, isStorageDtype } from '@lmo/core/backend';
import type * as ort from 'onnxruntime-common';
import type { OnnxBackend } from '../backend.js';
import { FEED_TYPE, outputData } from '../execution.js';
import type { OnnxTensor } from '../graph/nodes.js';
import { floatTensor, floatValues, tensorShell, typeName } from '../onnx/tensor-data.js';
import { replaceInitializers } from '../onnx/splice.js';
import { trainingError } from './errors.js';
import type { ProbeRun } from './facts.js';
import { makeFeeds, type Feeds } from './feeds.js';
import type { LossSpec } from './loss.js';
import { OnnxModel } from './model.js';
import { selectTrainable, type TrainableSpec } from './trainable.js';
import { buildTrainingGraph, type TrainingGraph } from './training-graph.js';

/**
 * What the trainer needs of an optimizer: `step(grads)` with one gradient per parameter (any of
 * core's optimizers, or your own). An optimizer with non-empty `gradients` (core's ScionLight) keeps
 * its own gradient buffers: the training graph adds each step's gradients into them and the
 * trainer calls `step()` without arguments.
 */
export interface TrainerOptimizer {
  step(grads?: ReadonlyMap<string, OnnxTensor>): unknown;
  readonly gradients?: ReadonlyMap<string, OnnxTensor>;
  dispose?(): void;
}

/** Options of `createOnnxTrainer`. */
export interface OnnxTrainerOptions<O extends TrainerOptimizer> {
  /** The initializers that train (required: there is no default). See {@link TrainableSpec}. */
  readonly trainable: TrainableSpec;
  /** What to minimize: the name of the model's scalar loss, or a loss to append. See {@link LossSpec}. */
  readonly loss: LossSpec;
  /**
   * Makes the optimizer of the trainable parameters (tensors of `backend`, by initializer name),
   * e.g. `(params, backend) => scion(backend, params, { lr: 2 ** -8, groups: transformerGroups() })`.
   */
  readonly optimizer: (params: ReadonlyMap<string, OnnxTensor>, backend: OnnxBackend) => O;
  /**
   * The backend that holds the parameters and runs the optimizer and the training session. Default:
   * a new `onnxBackend()` of the entry point, closed by {@link OnnxTrainer.dispose}.
   */
  readonly backend?: OnnxBackend;
  /** Session options of the training session, over the backend's. */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /**
   * How the trainable weights are stored: `'float32'` (default), or `'bfloat16'`/`'float16'`
   * (half the bytes; the initializers' values rounded to nearest even). The training session takes
   * them as they are stored and casts them to float32 inside the graph, separately for the forward
   * and the backward pass, so that no float32 copy of a weight is held across the whole step; a
   * ScionLight optimizer's gradient buffers `G` may be 16-bit too (its `bufferDtype`), and the
   * graph adds the step's gradients into them and rounds the sums back. Give the optimizer a
   * `compensation` so that updates below a weight's last bit are not lost. bfloat16 raises the
   * training graph to opset 26 (for its `BitCast`; onnxruntime's JavaScript API has no bfloat16
   * tensors).
   */
  readonly dtype?: StorageDtype;
}


/** How the entry point (`@lmo/onnxruntime` or `/web`) runs the shape probe. @internal */
export interface TrainerEnvironment {
  readonly probeProviders: readonly string[];
}

/**
 * Trains a model's initializers. Make one with `createOnnxTrainer`; call {@link OnnxTrainer.step}
 * per batch: with θ the trainable initializers and L the loss, one session run computes
 * `L(θ; batch)` and `∇θ L` (reverse mode through the model's graph), and the optimizer updates θ
 * from `∇θ L` (ScionLight: from `G ← G + ∇θ L`). Steps, evaluations and exports run one after
 * another, in call order, whether or not you await them.
 */
export class OnnxTrainer<O extends TrainerOptimizer = TrainerOptimizer> {
  /** The parameters (the trainable initializers) by name, as tensors of {@link OnnxTrainer.backend}. */
  readonly parameters: ReadonlyMap<string, OnnxTensor>;
  /** The inputs each step feeds, with their element types and shapes (the model's, plus `labels`/`targets` of an appended loss). */
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly type: string; readonly shape: readonly number[] }>;
  #queue: Promise<unknown> = Promise.resolve();
  #evaluation: Promise<ort.InferenceSession> | undefined;
  #disposed = false;

  private constructor(
    /**
     * The model trained: its inputs, outputs, initializers (names, types, shapes) and graph, as
     * loaded, except that the trainable initializers hold no values (the trainer does not keep a
     * second copy of the weights: they are in {@link OnnxTrainer.parameters}, and
     * {@link OnnxTrainer.exportModel} writes the whole file). Drop your own reference to the
     * `OnnxModel` you passed to `createOnnxTrainer` to free its bytes.
     */
    readonly model: OnnxModel,
    readonly backend: OnnxBackend,
    readonly optimizer: O,
    parameters: Map<string, OnnxTensor>,
    private readonly graph: TrainingGraph,
    private readonly session: ort.InferenceSession,
    private readonly ownsBackend: boolean,
  ) {
    this.parameters = parameters;
    this.inputs = [...graph.inputs].map(([name, info]) => ({ name, type: typeName(info.dtype), shape: info.shape }));
  }

  /** Makes the parameters and the optimizer, then builds the training graph and its session. @internal */
  static async create<O extends TrainerOptimizer>(model: OnnxModel, options: OnnxTrainerOptions<O>, backend: OnnxBackend, ownsBackend: boolean, env: TrainerEnvironment): Promise<OnnxTrainer<O>> {
    if (typeof options?.optimizer !== 'function') throw trainingError('INVALID_HYPERPARAMETER', 'optimizer must be a function (params, backend) => optimizer, e.g. (params, backend) => scion(backend, params, { lr })');
    const trainable = selectTrainable(model, options.trainable);
    const dtype = options.dtype ?? 'float32';
    if (!isStorageDtype(dtype)) throw trainingError('INVALID_HYPERPARAMETER', `dtype must be one of ${STORAGE_DTYPES.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dtype)}`);
    const probe: ProbeRun = async (bytes, feeds) => {
      const s = await backend.createSession(bytes, { graphOptimizationLevel: 'disabled', executionProviders: [...env.probeProviders] });
      try {
        return await s.run(feeds);
      } finally {
        await backend.releaseSession(s);
      }
    };
    const parameters = new Map<string, OnnxTensor>();
    let optimizer: O | undefined;
    try {
      for (const name of trainable) {
        const t = model.graph.initializers.get(name)!;
        parameters.set(name, dtype === 'float32' ? backend.adopt(floatValues(t), [...t.dims]) : backend.fromArray(floatValues(t), [...t.dims], dtype));
      }
      optimizer = options.optimizer(parameters, backend);
      if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.step !== 'function') {
        throw trainingError('INVALID_HYPERPARAMETER', 'optimizer(params, backend) must return an optimizer with step(grads)');
      }
      const accumulate = (optimizer.gradients?.size ?? 0) > 0;
      if (accumulate) {
        for (const name of trainable) {
          const g = optimizer.gradients!.get(name);
          if (g === undefined || g.shape.length !== parameters.get(name)!.shape.length || g.shape.some((d, i) => d !== parameters.get(name)!.shape[i])) {
            throw trainingError('INVALID_HYPERPARAMETER', `optimizer.gradients must hold a buffer shaped like each parameter; "${name}" has ${g === undefined ? 'none' : `[${g.shape.join(', ')}]`}`);
          }
        }
      }
      const dtypes = new Map(trainable.map((n) => [n, dtype]));
      const accumulatorDtypes = new Map(accumulate ? trainable.map((n) => [n, backend.storage.dtype(optimizer!.gradients!.get(n)!)]) : []);
      const graph = await buildTrainingGraph(model, { trainable, loss: options.loss, accumulate, dtypes, accumulatorDtypes }, probe, backend.ort.Tensor);
      let session: ort.InferenceSession;
      try {
        session = await backend.createSession(graph.training, options.sessionOptions);
      } catch (error) {
        throw trainingError('BACKEND', `onnxruntime cannot load the training graph: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      // the model without the trainable initializers' values (the parameters hold them)
      const shell = OnnxModel.fromBytes(replaceInitializers(model.bytes, new Set(trainable), tensorShell));
      return new OnnxTrainer(shell, backend, optimizer, parameters, graph, session, ownsBackend);
    } catch (error) {
      optimizer?.dispose?.();
      for (const p of parameters.values()) backend.dispose(p);
      if (ownsBackend) await backend.close();
      throw error instanceof LmoError ? error : trainingError('BACKEND', error instanceof Error ? error.message : String(error), error);
    }
  }

  /** Whether the training graph accumulates into the optimizer's gradient buffers (ScionLight). */
  get accumulates(): boolean {
    return this.graph.accumulators.size > 0;
  }

  /**
   * One training step on a batch: forward, loss and backward in one session run, then the
   * optimizer's step. Resolves to the loss (before the update). Inputs are checked first: a step
   * that fails changes nothing.
   */
  step(feeds: Feeds): Promise<number> {
    return this.#enqueue(async () => {
      const inputs = makeFeeds(feeds, this.graph.inputs, this.backend.ort.Tensor);
      const names = [...this.parameters.keys()];
      const params = names.map((n) => this.parameters.get(n)!);
      const buffers = this.accumulates ? names.map((n) => this.optimizer.gradients!.get(n)!) : [];
      const stored = await this.backend.stored([...params, ...buffers]);
      const { Tensor } = this.backend.ort;
      const feed = (i: number, shape: number[]): ort.Tensor => new Tensor(FEED_TYPE[stored[i]!.dtype], stored[i]!.data as Float32Array, shape);
      names.forEach((n, i) => {
        const shape = [...this.graph.shapes.get(n)!];
        for (const input of this.graph.parameterInputs.get(n)!) inputs[input] = feed(i, shape);
        if (this.accumulates) inputs[this.graph.accumulators.get(n)!] = feed(names.length + i, shape);
      });
      const out = await this.session.run(inputs);
      const loss = Number((out[this.graph.loss]!.data as Float32Array)[0]);
      // the gradients come as float32, or as the sums stored like the gradient buffers they replace
      const gradDtype = (i: number): StorageDtype => (this.accumulates ? stored[names.length + i]!.dtype : 'float32');
      const grads = new Map(
        names.map((n, i) => {
          const shape = this.graph.shapes.get(n)!;
          const data = outputData(out[this.graph.grads.get(n)!]?.data, gradDtype(i), shape.reduce((a, d) => a * d, 1));
          if (data === undefined) throw trainingError('BACKEND', `the training session's gradient of "${n}" is missing or malformed`);
          return [n, this.backend.adopt(data, shape, gradDtype(i))];
        }),
      );
      try {
        if (this.accumulates) {
          const buffersByName = this.optimizer.gradients!;
          await this.backend.run(() => grads.forEach((g, n) => this.backend.assign(buffersByName.get(n)!, g)));
          await this.optimizer.step();
        } else {
          await this.optimizer.step(grads);
        }
      } finally {
        for (const g of grads.values()) this.backend.dispose(g);
      }
      return loss;
    });
  }

  /** The loss on a batch with the current weights (a forward-only session, made on first use). */
  evaluate(feeds: Feeds): Promise<number> {
    return this.#enqueue(async () => {
      const inputs = makeFeeds(feeds, this.graph.inputs, this.backend.ort.Tensor);
      this.#evaluation ??= this.backend.createSession(this.graph.evaluation);
      const session = await this.#evaluation;
      const names = [...this.parameters.keys()];
      const stored = await this.backend.stored(names.map((n) => this.parameters.get(n)!));
      names.forEach((n, i) => (inputs[this.graph.parameterInputs.get(n)![0]!] = new this.backend.ort.Tensor(FEED_TYPE[stored[i]!.dtype], stored[i]!.data as Float32Array, [...this.graph.shapes.get(n)!])));
      const out = await session.run(inputs);
      return Number((out[this.graph.loss]!.data as Float32Array)[0]);
    });
  }

  /** The current values of the parameters by name (copies). */
  weights(): Promise<Map<string, Float32Array>> {
    return this.#enqueue(async () => {
      const names = [...this.parameters.keys()];
      const arrays = await this.backend.arrays(names.map((n) => this.parameters.get(n)!));
      return new Map(names.map((n, i) => [n, arrays[i]!.slice()]));
    });
  }

  /**
   * The model as an ONNX file for inference: the original file with the trained initializers'
   * values, every other byte as it was (graph, other initializers, metadata).
   */
  exportModel(): Promise<Uint8Array> {
    return this.#enqueue(async () => {
      const names = [...this.parameters.keys()];
      const arrays = await this.backend.arrays(names.map((n) => this.parameters.get(n)!));
      const values = new Map(names.map((n, i) => [n, arrays[i]!]));
      return replaceInitializers(this.model.bytes, new Set(names), (old) => ({ ...floatTensor(old.name ?? '', old.dims, values.get(old.name ?? '')!), ...(old.docString ? { docString: old.docString } : {}) }));
    });
  }

  /** Releases the sessions and the parameters (and the backend, when the trainer made it). */
  dispose(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#disposed) return;
      this.#disposed = true;
      const evaluation = this.#evaluation;
      this.#evaluation = undefined;
      await this.backend.releaseSession(this.session);
      if (evaluation !== undefined) await this.backend.releaseSession(await evaluation);
      this.optimizer.dispose?.();
      for (const p of this.parameters.values()) this.backend.dispose(p);
      if (this.ownsBackend) await this.backend.close();
    }, true);
  }

  #enqueue<R>(task: () => Promise<R>, allowDisposed = false): Promise<R> {
    const run = async (): Promise<R> => {
      if (this.#disposed && !allowDisposed) throw trainingError('BACKEND', 'this trainer has been disposed');
      return task();
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

