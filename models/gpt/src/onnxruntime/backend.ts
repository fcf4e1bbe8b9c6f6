import { availableParallelism } from 'node:os';
import type { StorageDtype } from '@lmo/core';
import { createOnnxTrainer, onnxBackend, type OnnxBackend, type OnnxTensor, type OnnxTrainer } from '@lmo/onnxruntime';
import type * as ort from 'onnxruntime-node';
import { paramSpecs, type GPTConfig, type ParamSpec } from '../config.js';
import type { Batch } from '../data/batch.js';
import { createParamsFrom, disposeAll, requireDtype, type GptModel, type GptSession, type GptTraining, type ParamMap, type StepOptimizer } from '../model.js';
import { gptForwardModel, LOGITS, LOSS, TARGETS, TOKENS } from './forward.js';

/** Options of {@link onnxGpt}. */
export interface OnnxGptOptions {
  /** onnxruntime's `intraOpNumThreads` for every session (model and optimizer). Default {@link modelThreads}. */
  readonly intraOpNumThreads?: number;
}

/** The intra-op threads of the model's sessions: the `NANOGPT_ORT_THREADS` environment variable, else every core. */
export function modelThreads(): number {
  const env = process.env['NANOGPT_ORT_THREADS'];
  const n = env === undefined ? NaN : Number(env);
  return Number.isInteger(n) && n > 0 ? n : availableParallelism();
}

/** nanoGPT's GPT on onnxruntime-node (see {@link OnnxGpt}). */
export function onnxGpt(config: GPTConfig, options: OnnxGptOptions = {}): OnnxGpt {
  return new OnnxGpt(config, onnxBackend({ intraOpNumThreads: options.intraOpNumThreads ?? modelThreads() }));
}

/** One-hot rows `[N, V]` of token ids, into `out` (every other entry 0). */
function fillOneHot(out: Float32Array, ids: Int32Array, V: number): Float32Array {
  out.fill(0);
  ids.forEach((id, n) => {
    if (id < 0 || id >= V) throw new RangeError(`token id ${id} outside the vocabulary [0, ${V})`);
    out[n * V + id] = 1;
  });
  return out;
}

/**
 * nanoGPT's GPT trained by `@lmo/onnxruntime`: its forward graph ({@link gptForwardModel}), with
 * the weights as initializers, goes to `createOnnxTrainer`, which builds the backward pass and runs
 * forward, loss and backward in one `session.run` per step — accumulating into ScionLight's
 * gradient buffers when the optimizer keeps them — before the optimizer's step. Parameters are
 * tensors of the lazy {@link OnnxBackend}, so core's optimizers compile their steps to ONNX graphs
 * too. Evaluation and sampling run the forward graph with the parameters as inputs (their live
 * arrays fed as they are, no copies), one session per output and batch size.
 */
export class OnnxGpt implements GptModel<OnnxTensor> {
  readonly name = 'onnxruntime';
  readonly specs: readonly ParamSpec[];
  /** The forward sessions (loss, logits) by output and batch size. */
  readonly #forward = new Map<string, Promise<ort.InferenceSession>>();

  constructor(
    readonly config: GPTConfig,
    readonly tensors: OnnxBackend,
  ) {
    this.specs = paramSpecs(config);
  }

  /** What the weights may be stored in: the backend's storage dtypes (float32, bfloat16, float16). */
  get dtypes(): readonly StorageDtype[] {
    return this.tensors.storage.dtypes;
  }

  async session(weights: ParamMap<Float32Array>, dtype: StorageDtype = 'float32'): Promise<GptSession<OnnxTensor>> {
    requireDtype(this, dtype);
    const params = createParamsFrom(this.specs, weights, (data, shape) => this.tensors.fromArray(data, shape, dtype));
    return this.#session(params, async () => disposeAll(this.tensors, params));
  }

  /**
   * The trainer of `weights` for batches of `batchSize` sequences (the training graph has static
   * shapes), with the optimizer `build` makes over its parameters, the weights stored in `dtype`
   * (`createOnnxTrainer`'s: a 16-bit weight is widened inside the training graph where it is read).
   */
  async train<O extends StepOptimizer<OnnxTensor>>(weights: ParamMap<Float32Array>, build: (params: ParamMap<OnnxTensor>) => O, batchSize: number, dtype: StorageDtype = 'float32'): Promise<GptTraining<OnnxTensor, O>> {
    requireDtype(this, dtype);
    const T = this.config.blockSize;
    const trainer: OnnxTrainer<O> = await createOnnxTrainer(gptForwardModel(this.config, batchSize, T, LOSS, weights), {
      trainable: this.specs.map((s) => s.name),
      loss: LOSS,
      backend: this.tensors,
      dtype,
      // in spec order, as every model of this package gives them
      optimizer: (params) => build(new Map(this.specs.map((s) => [s.name, params.get(s.name)!]))),
    });
    const params = new Map(this.specs.map((s) => [s.name, trainer.parameters.get(s.name)!]));
    const session = this.#session(params, () => trainer.dispose());
    const V = this.config.vocabSize;
    const x = new Float32Array(batchSize * T * V);
    const y = new Float32Array(batchSize * T * V);
    return {
      ...session,
      optimizer: trainer.optimizer,
      step: (batch) => {
        this.#check(batch);
        if (batch.batchSize !== batchSize) throw new RangeError(`this training graph is for batches of ${batchSize}, got ${batch.batchSize}`);
        return trainer.step({ [TOKENS]: fillOneHot(x, batch.x, V), [TARGETS]: fillOneHot(y, batch.y, V) });
      },
    };
  }

  /** Evaluation and sampling of `params`; `release` frees them (and what owns them). */
  #session(params: ParamMap<OnnxTensor>, release: () => Promise<void>): GptSession<OnnxTensor> {
    const { config } = this;
    const V = config.vocabSize;
    return {
      config,
      params,
      loss: async (batch) => {
        this.#check(batch);
        const N = batch.batchSize * config.blockSize;
        const out = await this.#run(LOSS, batch.batchSize, params, { [TOKENS]: fillOneHot(new Float32Array(N * V), batch.x, V), [TARGETS]: fillOneHot(new Float32Array(N * V), batch.y, V) });
        return (out[LOSS]!.data as Float32Array)[0]!;
      },
      lastLogits: async (tokens) => {
        const T = tokens.length;
        const block = config.blockSize;
        if (T < 1 || T > block) throw new RangeError(`lastLogits needs 1..${block} tokens, got ${T}`);
        // Causal: padding after the last token does not change its logits, so one graph serves every T.
        const padded = new Int32Array(block);
        padded.set(tokens);
        const out = await this.#run(LOGITS, 1, params, { [TOKENS]: fillOneHot(new Float32Array(block * V), padded, V) });
        return Float32Array.from((out[LOGITS]!.data as Float32Array).subarray((T - 1) * V, T * V));
      },
      dispose: release,
    };
  }

  /** Runs the forward graph of `output` for `B` sequences on `params` (their live arrays, no copies). */
  async #run(output: typeof LOSS | typeof LOGITS, B: number, params: ParamMap<OnnxTensor>, data: Record<string, Float32Array>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const key = `${output}:${B}`;
    let session = this.#forward.get(key);
    if (session === undefined) {
      session = this.tensors.createSession(gptForwardModel(this.config, B, this.config.blockSize, output));
      this.#forward.set(key, session);
      session.catch(() => this.#forward.delete(key));
    }
    const { Tensor } = this.tensors.ort;
    const feeds: Record<string, ort.Tensor> = {};
    const arrays = await this.tensors.arrays(this.specs.map((s) => params.get(s.name)!));
    this.specs.forEach((s, i) => (feeds[s.name] = new Tensor('float32', arrays[i]!, [...s.shape])));
    for (const [name, values] of Object.entries(data)) feeds[name] = new Tensor('float32', values, [values.length / this.config.vocabSize, this.config.vocabSize]);
    return (await session).run(feeds);
  }

  #check(batch: Batch): void {
    if (batch.blockSize !== this.config.blockSize) throw new RangeError(`batch block size ${batch.blockSize} != model block size ${this.config.blockSize}`);
  }

  /** Releases the forward sessions and closes the backend (free the sessions and trainings first). */
  async dispose(): Promise<void> {
    const all = [...this.#forward.values()];
    this.#forward.clear();
    for (const s of all) await s.then((x) => this.tensors.releaseSession(x), () => undefined);
    await this.tensors.close();
  }
}
