import { createGpujsBackend, probeMode, type GpujsBackend, type GpujsBackendOptions, type GpujsMode, type GpujsTensor } from '@lmo/gpujs';
import type { Batch } from '../data/batch.js';
import { GradientModel, createParamsFrom, type DifferentiableGpt, type LossAndGrads, type ParamMap } from '../model.js';
import { paramSpecs, type GPTConfig } from '../config.js';
import { GpujsGPT } from './gpt.js';

/** The GPT as gpu.js kernels in `mode` (see {@link GpujsModel.create}). */
export async function gpujsGpt(mode: GpujsMode, config: GPTConfig, options: Omit<GpujsBackendOptions, 'mode' | 'gpu'> = {}): Promise<GradientModel<GpujsTensor>> {
  return new GradientModel(await GpujsModel.create(mode, config, options));
}

/**
 * nanoGPT's GPT as gpu.js kernels (`./kernels.ts`) in one gpu.js mode, run by `@lmo/gpujs`'s
 * backend (`kernel()`) on its own tensors: parameters, activations and gradients are tensors of the
 * backend the optimizer runs on, read by the kernels where they live (arrays in the host modes,
 * textures or buffers in the GPU modes), without copies.
 */
export class GpujsModel implements DifferentiableGpt<GpujsTensor> {
  readonly name: string;
  readonly tensors: GpujsBackend;
  private readonly model: GpujsGPT;
  /** The gradients of the last pass (valid until the next one, see {@link LossAndGrads}). */
  private grads = new Map<string, GpujsTensor>();

  private constructor(
    readonly mode: GpujsMode,
    readonly config: GPTConfig,
    tensors: GpujsBackend,
  ) {
    this.name = `gpujs-${mode}`;
    this.tensors = tensors;
    this.model = new GpujsGPT(config, tensors);
  }

  /**
   * Builds the model on gpu.js `mode`. GPU modes are probed first (a small matmul) and refused with
   * the probe's reason when they do not work here (`webgpu` needs a `navigator.gpu`, or
   * `options.navigatorGpu` in Node).
   */
  static async create(mode: GpujsMode, config: GPTConfig, options: Omit<GpujsBackendOptions, 'mode' | 'gpu'> = {}): Promise<GpujsModel> {
    if (mode !== 'cpu' && mode !== 'webasm') {
      const probe = await probeMode(mode, options);
      if (!probe.available) throw new Error(`gpu.js mode ${mode} is not available here: ${probe.reason ?? 'unknown reason'}`);
    }
    return new GpujsModel(mode, config, createGpujsBackend({ ...options, mode }));
  }

  createParams(init: ParamMap<Float32Array>): Map<string, GpujsTensor> {
    return createParamsFrom(paramSpecs(this.config), init, (data, shape) => this.tensors.fromArray(data, shape));
  }

  /** Lets pending optimizer work finish (webgpu carries it out later) and frees the previous pass. */
  private async begin(params: ParamMap<GpujsTensor>): Promise<(name: string) => GpujsTensor> {
    await this.tensors.run(() => undefined);
    this.model.release();
    return (name) => {
      const t = params.get(name);
      if (t === undefined) throw new Error(`missing parameter ${name}`);
      return t;
    };
  }

  async lossAndGrads(params: ParamMap<GpujsTensor>, batch: Batch): Promise<LossAndGrads<GpujsTensor>> {
    this.checkBatch(batch);
    const p = await this.begin(params);
    const r = await this.model.lossAndGrads(p, Float32Array.from(batch.x), Float32Array.from(batch.y), batch.batchSize);
    this.disposeGrads();
    const shapes = new Map(paramSpecs(this.config).map((s) => [s.name, s.shape]));
    for (const [name, v] of r.grads) {
      const shape = shapes.get(name);
      if (shape === undefined) throw new Error(`gradient of unknown parameter ${name}`);
      // a view shaped as the parameter: it keeps the values when the pass is released
      this.grads.set(name, this.tensors.reshape(v, shape));
    }
    return { loss: r.loss, grads: this.grads };
  }

  /** The backward pass, then `G ← G + g` for every parameter on the device (one add each); the fresh gradients are freed. */
  async accumulateGrads(params: ParamMap<GpujsTensor>, batch: Batch, into: ParamMap<GpujsTensor>): Promise<number> {
    const { loss, grads } = await this.lossAndGrads(params, batch);
    const t = this.tensors;
    await t.run(() => {
      for (const [name, g] of grads) t.assign(into.get(name)!, t.add(into.get(name)!, g));
    });
    this.disposeGrads();
    return loss;
  }

  private disposeGrads(): void {
    for (const g of this.grads.values()) this.tensors.dispose(g);
    this.grads = new Map();
  }

  async loss(params: ParamMap<GpujsTensor>, batch: Batch): Promise<number> {
    this.checkBatch(batch);
    const p = await this.begin(params);
    return this.model.loss(p, Float32Array.from(batch.x), Float32Array.from(batch.y), batch.batchSize);
  }

  async lastLogits(params: ParamMap<GpujsTensor>, tokens: Int32Array): Promise<Float32Array> {
    const T = tokens.length;
    if (T < 1 || T > this.config.blockSize) throw new RangeError(`need 1…${this.config.blockSize} tokens, got ${T}`);
    const p = await this.begin(params);
    const logits = await this.model.logits(p, Float32Array.from(tokens));
    const V = this.config.vocabSize;
    return Float32Array.from(logits.subarray((T - 1) * V, T * V));
  }

  /** Kernels compiled and launched by the model (the optimizer's are in `tensors.stats()`). */
  stats(): { kernels: number; launches: number } {
    return { kernels: this.model.kernels, launches: this.model.launches };
  }

  dispose(): void {
    this.disposeGrads();
    this.model.release();
    this.tensors.destroy();
  }

  private checkBatch(batch: Batch): void {
    if (batch.blockSize !== this.config.blockSize) {
      throw new RangeError(`batch block size ${batch.blockSize} != model block size ${this.config.blockSize}`);
    }
  }
}
