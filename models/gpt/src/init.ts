import { Random } from '@lmo/core';
import { paramSpecs, sizeOf, type GPTConfig } from './config.js';

/**
 * nanoGPT's initial weights, drawn on the CPU from a seeded generator so that every backend starts
 * from the same numbers: normal(0, 0.02) for linears and embeddings, normal(0, 0.02/√(2·n_layer))
 * for the residual projections, ones for LayerNorm gains.
 */
export function initParams(cfg: GPTConfig, seed: number): Map<string, Float32Array> {
  const rng = new Random(seed);
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(cfg)) {
    const data = new Float32Array(sizeOf(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = spec.init * rng.normal();
    out.set(spec.name, data);
  }
  return out;
}
