/**
 * The playground's training session: @lmo/gpt's GPT on TensorFlow.js (`@lmo/gpt/tfjs`, the model
 * the nanoGPT benchmark trains on tfjs), twice from the same initial weights — once with Scion and
 * once with AdamW, both core optimizers on the `@lmo/tfjs` tensor backend — on the same batches;
 * training losses per step, validation losses every few steps, and generated samples. No DOM here:
 * the Vue component drives it, and the docs tests run it in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linearWarmup } from '@lmo/core';
import {
  BatchSampler,
  PAPER_SCION,
  charDataset,
  createTrainOptimizer,
  initParams,
  recipeTrainOptimizer,
  sampleText,
  type Batch,
  type CharDataset,
  type GPTConfig,
  type GptModel,
  type GptTraining,
  type Recipe,
  type TrainOptimizer,
} from '@lmo/gpt';
import { tfjsGpt } from '@lmo/gpt/tfjs';

export type RunKind = 'scion' | 'adamw';
export const RUN_KINDS: readonly RunKind[] = ['scion', 'adamw'];

/** Scion's radii ρ per parameter group (core's `transformerGroups()`, as in the recipes of `@lmo/gpt`). */
export type ScionRadii = Pick<Recipe, 'embedding' | 'hidden' | 'positions' | 'gains'>;

export interface SessionSettings {
  readonly model: Omit<GPTConfig, 'vocabSize'>;
  readonly batch: number;
  readonly scion: { readonly lr: number; readonly momentum: number; readonly radii: ScionRadii };
  /** nanoGPT's AdamW (core's `adamw` defaults: β = (0.9, 0.99), weight decay 0.1 on matrices, clipping at 1) with this learning rate. */
  readonly adamw: { readonly lr: number };
  /** Validation loss every `evalEvery` steps, on `evalBatches` fixed batches of the held-out text. */
  readonly evalEvery: number;
  readonly evalBatches: number;
  readonly seed: number;
}

/** Steps of linear warmup, (t + 1)/(warmup + 1), for both optimizers; constant afterwards. */
export const WARMUP = 10;

/**
 * Defaults: a 2-layer, 4-head, 48-wide model with a 32-character context, batch 16. Scion is the
 * paper's (constrained, radii 180 on the tied embedding and 3 elsewhere, momentum 0.1); AdamW is
 * nanoGPT's. Both warm up over the first {@link WARMUP} steps.
 */
export const DEFAULT_SETTINGS: SessionSettings = {
  model: { blockSize: 32, nEmbd: 48, nHead: 4, nLayer: 2 },
  batch: 16,
  scion: { lr: 2 ** -7, momentum: PAPER_SCION.momentum, radii: { embedding: PAPER_SCION.embedding, hidden: PAPER_SCION.hidden, positions: PAPER_SCION.positions, gains: PAPER_SCION.gains } },
  adamw: { lr: 3e-3 },
  evalEvery: 25,
  evalBatches: 8,
  seed: 1,
};

export interface LossPoint {
  readonly step: number;
  readonly loss: number;
}

type Training = GptTraining<tf.Tensor, TrainOptimizer<tf.Tensor>>;

export class PlaygroundSession {
  /** Training loss of every step (the batch's loss before the update). */
  readonly train: Record<RunKind, number[]> = { scion: [], adamw: [] };
  /** Validation losses, at step 0 and every `evalEvery` steps. */
  readonly val: Record<RunKind, LossPoint[]> = { scion: [], adamw: [] };
  /** Milliseconds spent in each run's steps (forward, backward, optimizer, loss read-back). */
  readonly ms: Record<RunKind, number> = { scion: 0, adamw: 0 };
  readonly #sampler: BatchSampler;
  readonly #valBatches: readonly Batch[];

  private constructor(
    readonly data: CharDataset,
    readonly settings: SessionSettings,
    readonly model: GptModel<tf.Tensor>,
    readonly runs: Readonly<Record<RunKind, Training>>,
  ) {
    const { batch, model: m, seed, evalBatches } = settings;
    this.#sampler = new BatchSampler(data.train, batch, m.blockSize, seed + 1, 'training');
    const valSampler = new BatchSampler(data.val, batch, m.blockSize, seed + 2, 'validation');
    // the sampler reuses its arrays: the fixed validation batches are copies
    this.#valBatches = Array.from({ length: evalBatches }, () => {
      const b = valSampler.next();
      return { ...b, x: b.x.slice(), y: b.y.slice() };
    });
  }

  /** Both runs on tfjs's active backend, from the same initial weights (`initParams` at `settings.seed`). */
  static async create(text: string, settings: SessionSettings = DEFAULT_SETTINGS): Promise<PlaygroundSession> {
    const data = charDataset(text);
    const config: GPTConfig = { vocabSize: data.vocabSize, ...settings.model };
    const model = tfjsGpt(tf, config);
    const weights = initParams(config, settings.seed);
    const schedule = linearWarmup(WARMUP);
    const { scion, adamw } = settings;
    const runs: Partial<Record<RunKind, Training>> = {};
    try {
      runs.scion = await model.train(
        weights,
        (params) => recipeTrainOptimizer('scion', { ...PAPER_SCION, momentum: scion.momentum, ...scion.radii }, model.tensors, params, schedule, scion.lr),
        settings.batch,
      );
      runs.adamw = await model.train(weights, (params) => createTrainOptimizer('adamw', model.tensors, params, adamw.lr, schedule), settings.batch);
    } catch (e) {
      await runs.scion?.dispose();
      await model.dispose();
      throw e;
    }
    return new PlaygroundSession(data, settings, model, runs as Record<RunKind, Training>);
  }

  /** Steps taken (both runs take the same number). */
  get steps(): number {
    return this.train.scion.length;
  }

  /** Appends both runs' validation loss at the current step. */
  async evaluate(): Promise<void> {
    for (const kind of RUN_KINDS) {
      let sum = 0;
      for (const b of this.#valBatches) sum += await this.runs[kind].loss(b);
      this.val[kind].push({ step: this.steps, loss: sum / this.#valBatches.length });
    }
  }

  /**
   * One step of each run on the same batch; `pause` is awaited between the two (the page yields
   * to the browser there). Evaluates when the step count reaches a multiple of `evalEvery`.
   */
  async step(pause: () => Promise<void> = async () => {}): Promise<void> {
    if (this.steps === 0 && this.val.scion.length === 0) await this.evaluate();
    const batch = this.#sampler.next();
    for (const kind of RUN_KINDS) {
      const start = performance.now();
      const loss = await this.runs[kind].step(batch);
      this.ms[kind] += performance.now() - start;
      if (!Number.isFinite(loss)) throw new Error(`${kind}: the loss is ${loss} at step ${this.steps + 1}; lower the learning rate`);
      this.train[kind].push(loss);
      await pause();
    }
    if (this.steps % this.settings.evalEvery === 0) await this.evaluate();
  }

  /** `n` characters a run's model writes after a newline, at `temperature` (@lmo/gpt's `sampleText`, seeded by the step). */
  async sample(kind: RunKind, n = 200, temperature = 0.8): Promise<string> {
    return sampleText(this.runs[kind], this.data, n, this.settings.seed + 3 + this.steps, temperature);
  }

  /** Frees both runs (weights and optimizer state) and the model. */
  async dispose(): Promise<void> {
    for (const kind of RUN_KINDS) await this.runs[kind].dispose();
    await this.model.dispose();
  }
}
