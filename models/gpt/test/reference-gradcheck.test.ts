import { Random } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { paramSpecs, sizeOf, type GPTConfig } from '../src/config.js';
import { ReferenceGPT } from '../src/reference/gpt.js';
import { erf } from '../src/reference/kernels/gelu.js';

const cfg: GPTConfig = { vocabSize: 7, blockSize: 5, nLayer: 2, nHead: 2, nEmbd: 8 };
const B = 3;

/** Float64 parameters large enough that every nonlinearity (softmax, GELU, LayerNorm) matters. */
function params64(seed: number): Map<string, Float64Array> {
  const rng = new Random(seed);
  const out = new Map<string, Float64Array>();
  for (const s of paramSpecs(cfg)) {
    const a = new Float64Array(sizeOf(s.shape));
    for (let i = 0; i < a.length; i++) a[i] = s.init === 'ones' ? 1 + 0.3 * rng.normal() : 0.5 * rng.normal();
    out.set(s.name, a);
  }
  return out;
}

function batch(seed: number): { x: Int32Array; y: Int32Array; batchSize: number; blockSize: number } {
  const rng = new Random(seed);
  const n = B * cfg.blockSize;
  const x = Int32Array.from({ length: n }, () => rng.int(cfg.vocabSize));
  const y = Int32Array.from({ length: n }, () => rng.int(cfg.vocabSize));
  return { x, y, batchSize: B, blockSize: cfg.blockSize };
}

describe('erf', () => {
  it('matches known values to double precision', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(Math.abs(erf(2.5 - 1e-12) - erf(2.5))).toBeLessThan(1e-11); // the two branches meet
    expect(erf(2.5)).toBeCloseTo(0.9995930479825550, 13);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-4)).toBeCloseTo(-0.9999999845827421, 14);
  });
});

describe('reference GPT backward', () => {
  it('matches float64 central finite differences on every parameter', () => {
    const model = new ReferenceGPT(cfg, Float64Array);
    const params = params64(1);
    const bt = batch(2);
    model.lossAndGrads(params, bt);
    const rng = new Random(3);
    const h = 1e-6;
    let checked = 0;
    for (const spec of paramSpecs(cfg)) {
      const p = params.get(spec.name)!;
      const g = model.grads.get(spec.name)!;
      // a handful of coordinates per parameter, always including the first and last
      const idx = new Set([0, p.length - 1]);
      while (idx.size < Math.min(6, p.length)) idx.add(rng.int(p.length));
      for (const i of idx) {
        const old = p[i]!;
        p[i] = old + h;
        const lp = model.loss(params, bt);
        p[i] = old - h;
        const lm = model.loss(params, bt);
        p[i] = old;
        const numeric = (lp - lm) / (2 * h);
        const analytic = g[i]!;
        const err = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-6);
        expect(err, `${spec.name}[${i}]: analytic ${analytic} numeric ${numeric}`).toBeLessThan(1e-6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('is deterministic', () => {
    const model = new ReferenceGPT(cfg, Float64Array);
    const params = params64(4);
    const bt = batch(5);
    expect(model.loss(params, bt)).toBe(model.loss(params, bt));
  });
});
