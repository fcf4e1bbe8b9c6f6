/**
 * One training run of the playground: a {@link CharGpt} and its optimizer — @lmo/tfjs's Scion, or
 * core's `adamw` (nanoGPT's AdamW) on the @lmo/tfjs backend — stepping on the batches it is given.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamw, transformerGroups, type LmoOptimizer } from '@lmo/core';
import { createTfjsBackend, ScionOptimizer, type TfTensor } from '@lmo/tfjs';
import type { Batch } from '@lmo/gpt';
import { CharGpt, type GptConfig } from './model.js';

/** Scion's radii ρ per group (nanoGPT's groups: the tied embedding, positions, block matrices, gains). */
export interface ScionRadii {
  /** `wte` (also the output head), sign LMO normalised by the width. */
  readonly embedding: number;
  /** Block matrices, spectral LMO (Newton–Schulz). */
  readonly hidden: number;
  /** `wpe`, column norm of the transposed table. */
  readonly position: number;
  /** LayerNorm gains, RMS-normalised. */
  readonly gains: number;
}

export type RunSettings =
  | { readonly kind: 'scion'; readonly lr: number; readonly radii: ScionRadii; readonly momentum: number }
  | { readonly kind: 'adamw'; readonly lr: number; readonly weightDecay: number; readonly clip: number };

/** Steps of linear warmup, (t + 1)/(warmup + 1), for both optimizers; constant afterwards. */
export const WARMUP = 10;

function warmup(t: number): number {
  return t < WARMUP ? (t + 1) / (WARMUP + 1) : 1;
}

/** The Scion optimizer of a playground model: nanoGPT's groups with the given radii. */
export function scionFor(settings: Extract<RunSettings, { kind: 'scion' }>, nonFinite: 'throw' | 'ignore'): ScionOptimizer {
  const { radii } = settings;
  return new ScionOptimizer({
    lr: settings.lr,
    momentum: settings.momentum,
    schedule: warmup,
    nonFinite,
    // core's transformer groups, matched by this model's tfjs variable names; every other variable
    // is a Dense-style kernel [d_in, d_out], which @lmo/tfjs's 'auto' layout shows the norm as [d_out, d_in]
    groups: transformerGroups({
      radii: { embedding: radii.embedding, positions: radii.position, gains: radii.gains, hidden: radii.hidden },
      match: { embedding: '*/wte/embeddings', positions: '*/wpe/embeddings' },
    }),
  });
}

export class TrainingRun {
  readonly model: CharGpt;
  readonly settings: RunSettings;
  readonly #scion: ScionOptimizer | undefined;
  readonly #adamw: LmoOptimizer<TfTensor, 'sync'> | undefined;
  #steps = 0;

  /**
   * `seed` initialises the model: give both runs the same seed for the same starting weights.
   * `nonFinite: 'ignore'` skips Scion's per-step NaN check (one synchronous read; see the browser guide).
   */
  constructor(config: GptConfig, settings: RunSettings, seed: number, options: { nonFinite?: 'throw' | 'ignore' } = {}) {
    this.settings = settings;
    this.model = new CharGpt(config, settings.kind, seed);
    if (settings.kind === 'scion') {
      this.#scion = scionFor(settings, options.nonFinite ?? 'throw');
    } else {
      // the model's tf.Variables are the parameters, updated in place
      const { lr, weightDecay, clip } = settings;
      this.#adamw = adamw(createTfjsBackend(), this.model.params, { lr, weightDecay, clip, schedule: warmup, nonFinite: options.nonFinite ?? 'throw' });
    }
  }

  /** Optimizer steps taken. */
  get steps(): number {
    return this.#steps;
  }

  /** One step on `batch`; returns the batch's loss before the update (dispose it, or read it with `data()`). */
  step(batch: Batch): tf.Scalar {
    const x = tf.tensor2d(batch.x, [batch.batchSize, batch.blockSize], 'int32');
    const y = tf.tensor2d(batch.y, [batch.batchSize, batch.blockSize], 'int32');
    const vars = [...this.model.params.values()];
    const { value, grads } = tf.variableGrads(() => this.model.loss(x, y), vars);
    if (this.#scion) {
      this.#scion.applyGradients(grads);
    } else {
      this.#adamw!.step(new Map(Object.entries(grads)));
    }
    tf.dispose([x, y, ...Object.values(grads)]);
    this.#steps += 1;
    return value;
  }

  /** Mean loss over `batches`, without updating anything. */
  async evaluate(batches: readonly Batch[]): Promise<number> {
    const total = tf.tidy(() =>
      sumAll(batches.map((b) => this.model.loss(tf.tensor2d(b.x, [b.batchSize, b.blockSize], 'int32'), tf.tensor2d(b.y, [b.batchSize, b.blockSize], 'int32')))),
    );
    const [sum] = await total.data();
    total.dispose();
    return sum! / batches.length;
  }

  dispose(): void {
    this.#scion?.dispose();
    this.#adamw?.dispose();
    this.model.dispose();
  }
}

/**
 * The sum of tensors of one shape, added pairwise. Not `tf.addN`: on tfjs-webgpu one AddN kernel
 * binds every input as a storage buffer, and more than 7 inputs exceed WebGPU's default limit of 8
 * storage buffers per shader stage (the pipeline is then invalid).
 */
function sumAll(xs: readonly tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('sumAll: nothing to add');
  return tf.tidy(() => xs.slice(1).reduce<tf.Tensor>((acc, x) => tf.add(acc, x), xs[0]!));
}
