import type { TensorBackend } from '@lmo/core';
import { createTfjsBackend } from '@lmo/tfjs';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Batch } from '../data/batch.js';
import { GradientModel, createParamsFrom, type DifferentiableGpt, type LossAndGrads, type ParamMap } from '../model.js';
import { paramSpecs, type GPTConfig } from '../config.js';
import { causalMask, logits, lossOf, oneHot, type TfBatch } from './gpt.js';

type Tf = typeof tfc;
type Tensor = tfc.Tensor;

/** The GPT as tfjs ops on `tf`'s active backend (see {@link TfjsModel}). */
export function tfjsGpt(tf: Tf, config: GPTConfig, name?: string): GradientModel<Tensor> {
  return new GradientModel(new TfjsModel(tf, config, name));
}

/**
 * nanoGPT's GPT as tfjs ops with `tf.valueAndGrads`, on whichever tfjs engine is active. Parameters
 * are the `tf.Variable`s of the `@lmo/tfjs` tensor binding, so core's optimizers update them in
 * place on the same engine.
 */
export class TfjsModel implements DifferentiableGpt<Tensor> {
  readonly name: string;
  readonly tensors: TensorBackend<Tensor>;
  private readonly mask: Tensor;
  private readonly names: string[];
  private lastGrads: Tensor[] = [];

  /**
   * The model on `tf`'s active backend (its gradients registered: tfjs-core's
   * `register_all_gradients`, or the `@tensorflow/tfjs` umbrella). `name` defaults to
   * `tfjs-<backend>`.
   */
  constructor(
    private readonly tf: Tf,
    readonly config: GPTConfig,
    name = `tfjs-${tf.getBackend()}`,
  ) {
    this.name = name;
    this.tensors = createTfjsBackend();
    this.mask = causalMask(tf, config.blockSize);
    this.names = paramSpecs(config).map((s) => s.name);
  }

  createParams(init: ParamMap<Float32Array>): Map<string, Tensor> {
    return createParamsFrom(paramSpecs(this.config), init, (data, shape) => this.tensors.fromArray(data, shape));
  }

  private batchTensors(batch: Batch): TfBatch {
    const { tf } = this;
    const V = this.config.vocabSize;
    return tf.tidy(() => ({
      xOneHot: oneHot(tf, batch.x, V),
      yOneHot: oneHot(tf, batch.y, V),
      B: batch.batchSize,
      T: batch.blockSize,
    }));
  }

  /** Loss and gradients of a batch (the loss read back asynchronously: WebGPU has no synchronous read). */
  private async valueAndGrads(params: ParamMap<Tensor>, batch: Batch): Promise<{ loss: number; grads: Tensor[] }> {
    const { tf } = this;
    const bt = this.batchTensors(batch);
    const list = this.names.map((n) => params.get(n)!);
    const f = (...xs: Tensor[]): tfc.Scalar => {
      const byName = new Map(this.names.map((n, i) => [n, xs[i]!]));
      return lossOf(tf, this.config, (n) => byName.get(n)!, bt, this.mask);
    };
    const { value, grads } = tf.valueAndGrads(f)(list);
    bt.xOneHot.dispose();
    bt.yOneHot.dispose();
    const loss = (await value.data())[0]!;
    value.dispose();
    return { loss, grads };
  }

  async lossAndGrads(params: ParamMap<Tensor>, batch: Batch): Promise<LossAndGrads<Tensor>> {
    for (const g of this.lastGrads) g.dispose();
    this.lastGrads = [];
    const { loss, grads } = await this.valueAndGrads(params, batch);
    this.lastGrads = grads;
    return { loss, grads: new Map(this.names.map((n, i) => [n, grads[i]!])) };
  }

  async accumulateGrads(params: ParamMap<Tensor>, batch: Batch, into: ParamMap<Tensor>): Promise<number> {
    const { tf } = this;
    const { loss, grads } = await this.valueAndGrads(params, batch);
    // G ← G + g into the persistent buffers; the fresh gradients are freed at once.
    tf.tidy(() => this.names.forEach((n, i) => (into.get(n) as tfc.Variable).assign(tf.add(into.get(n)!, grads[i]!))));
    tf.dispose(grads);
    return loss;
  }

  async loss(params: ParamMap<Tensor>, batch: Batch): Promise<number> {
    const { tf } = this;
    const bt = this.batchTensors(batch);
    const v = tf.tidy(() => lossOf(tf, this.config, (n) => params.get(n)!, bt, this.mask));
    bt.xOneHot.dispose();
    bt.yOneHot.dispose();
    const loss = (await v.data())[0]!;
    v.dispose();
    return loss;
  }

  async lastLogits(params: ParamMap<Tensor>, tokens: Int32Array): Promise<Float32Array> {
    const { tf } = this;
    const T = tokens.length;
    const V = this.config.vocabSize;
    const out = tf.tidy(() => {
      const x = oneHot(tf, tokens, V);
      const mask = tf.slice(this.mask, [0, 0], [T, T]);
      const z = logits(tf, this.config, (n) => params.get(n)!, x, 1, T, mask);
      return tf.slice(z, [T - 1, 0], [1, V]);
    });
    const data = Float32Array.from((await out.data()) as Float32Array);
    out.dispose();
    return data;
  }

  dispose(): void {
    for (const g of this.lastGrads) g.dispose();
    this.lastGrads = [];
    this.mask.dispose();
  }
}
