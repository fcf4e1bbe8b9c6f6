import { RefTensor, referenceBackend } from '@lmo/core/reference';
import type { TensorBackend } from '@lmo/core';
import type { Batch } from '../data/batch.js';
import { GradientModel, createParamsFrom, type DifferentiableGpt, type LossAndGrads, type ParamMap } from '../model.js';
import { paramSpecs, type GPTConfig } from '../config.js';
import { coreGemm } from './core-gemm.js';
import { ReferenceGPT } from './gpt.js';
import { setGemm } from './kernels/gemm.js';

/** Which float32 matmul the reference model uses: core's blocked kernel (default) or the model's own loops. */
export type ReferenceGemm = 'core' | 'local';

/** The hand-written float32 GPT on core's reference backend (see {@link ReferenceModel}). */
export function referenceGpt(config: GPTConfig, gemm: ReferenceGemm = 'core'): GradientModel<RefTensor> {
  return new GradientModel(new ReferenceModel(config, gemm));
}

/**
 * The hand-written float32 GPT over core's reference backend. Parameters and gradients are core
 * `RefTensor`s wrapping the model's own arrays, so core's reference optimizers update the very
 * arrays the model reads, with no copies.
 */
export class ReferenceModel implements DifferentiableGpt<RefTensor> {
  readonly name = 'reference';
  readonly tensors: TensorBackend<RefTensor, 'sync'> = referenceBackend;
  private readonly model: ReferenceGPT;
  private readonly grads: Map<string, RefTensor>;

  constructor(
    readonly config: GPTConfig,
    gemm: ReferenceGemm = 'core',
  ) {
    setGemm(gemm === 'core' ? coreGemm : undefined);
    this.model = new ReferenceGPT(config, Float32Array);
    this.grads = new Map(
      paramSpecs(config).map((s) => [s.name, new RefTensor(this.model.grads.get(s.name) as Float32Array, s.shape)]),
    );
  }

  createParams(init: ParamMap<Float32Array>): Map<string, RefTensor> {
    return createParamsFrom(paramSpecs(this.config), init, (data, shape) => new RefTensor(Float32Array.from(data), shape));
  }

  lossAndGrads(params: ParamMap<RefTensor>, batch: Batch): LossAndGrads<RefTensor> {
    return { loss: this.model.lossAndGrads(arrays(params), batch), grads: this.grads };
  }

  accumulateGrads(params: ParamMap<RefTensor>, batch: Batch, into: ParamMap<RefTensor>): number {
    const loss = this.model.lossAndGrads(arrays(params), batch);
    // G ← G + g in place (rounded to float32 once, like the reference backend's add).
    for (const [name, g] of this.grads) {
      const G = into.get(name)!.data;
      const d = g.data;
      for (let i = 0; i < d.length; i++) G[i] = G[i]! + d[i]!;
    }
    return loss;
  }

  loss(params: ParamMap<RefTensor>, batch: Batch): number {
    return this.model.loss(arrays(params), batch);
  }

  lastLogits(params: ParamMap<RefTensor>, tokens: Int32Array): Float32Array {
    const T = tokens.length;
    const V = this.config.vocabSize;
    const logits = this.model.logits(arrays(params), tokens, 1, T);
    return Float32Array.from(logits.subarray((T - 1) * V, T * V));
  }

  dispose(): void {}
}

// A cache keyed by the map keeps the hot loop free of allocations.
const views = new WeakMap<ParamMap<RefTensor>, Map<string, Float32Array>>();
function arrays(params: ParamMap<RefTensor>): Map<string, Float32Array> {
  let m = views.get(params);
  if (m === undefined) {
    m = new Map([...params].map(([k, v]) => [k, v.data]));
    views.set(params, m);
  }
  return m;
}
