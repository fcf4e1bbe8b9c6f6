/**
 * Optimizer parity with the reference backend: the same parameters and gradients, a few steps of
 * every update rule and every norm, and the parameter updates must agree within 1e-4 relative.
 */
import { describe, expect, it } from 'vitest';
import { auto, biasRMS, colNorm, createOptimizer, frobenius, muon, normalizedSGD, rowNorm, scion, scionLight, sign, signSGD, signUnscaled, spectral, spectralConv, unconstrainedScion } from '@lmo/core';
import type { GroupSpec, LmoOptimizer, NamedTensors, Norm, TensorBackend } from '@lmo/core';
import { createReferenceBackend } from '@lmo/core/reference';
import { createGpujsBackend } from '../src/index.js';
import { FULL, modes } from './modes.js';

const cases = await modes();

const SHAPES: Record<string, readonly number[]> = {
  wte: [65, 32],
  wpe: [16, 32],
  'h.0.attn.c_attn': [96, 32],
  'h.0.attn.c_proj': [32, 32],
  'h.0.mlp.c_fc': [128, 32],
  'h.0.mlp.c_proj': [32, 128],
  'h.0.ln_1': [32],
  ln_f: [32],
  conv: [8, 4, 3],
};

function data(size: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

type Factory = <T>(b: TensorBackend<T>, params: NamedTensors<T>) => LmoOptimizer<T>;

/** Runs `steps` optimizer steps; returns each parameter's total update. */
async function trajectory<T>(
  b: TensorBackend<T>,
  names: readonly string[],
  make: Factory,
  light: boolean,
  steps = 3,
): Promise<Map<string, Float32Array>> {
  const init = new Map(names.map((n, i) => [n, data(size(n), 1000 + i, 0.05)]));
  const params = new Map(names.map((n) => [n, b.fromArray(init.get(n)!, SHAPES[n]!)]));
  const opt = make(b, params);
  const accum = light ? new Map(names.map((n) => [n, b.zerosLike(params.get(n)!)])) : undefined;
  for (let s = 0; s < steps; s++) {
    const fresh = new Map(names.map((n, i) => [n, b.fromArray(data(size(n), 17 * s + i + 1), SHAPES[n]!)]));
    let grads = fresh;
    if (accum) {
      // ScionLight: the backward pass accumulates into the (scaled) gradient buffers
      await b.run(() => {
        for (const n of names) b.assign(accum.get(n)!, b.add(accum.get(n)!, fresh.get(n)!));
      });
      grads = accum;
    }
    await opt.step(grads);
    for (const g of fresh.values()) b.dispose(g);
  }
  const out = new Map<string, Float32Array>();
  for (const n of names) {
    const now = await b.read(params.get(n)!);
    const start = init.get(n)!;
    out.set(n, now.map((v, i) => v - start[i]!));
  }
  opt.dispose();
  for (const p of params.values()) b.dispose(p);
  if (accum) for (const g of accum.values()) b.dispose(g);
  return out;
}

function size(n: string): number {
  return SHAPES[n]!.reduce((p, d) => p * d, 1);
}

function relErr(a: Float32Array, r: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < r.length; i++) {
    scale = Math.max(scale, Math.abs(r[i]!));
    err = Math.max(err, Math.abs(a[i]! - r[i]!));
  }
  return Number.isNaN(err) ? Infinity : scale === 0 ? err : err / scale;
}

const MATRICES = ['wte', 'wpe', 'h.0.attn.c_attn', 'h.0.attn.c_proj', 'h.0.mlp.c_fc', 'h.0.mlp.c_proj'];
const VECTORS = ['h.0.ln_1', 'ln_f'];
const ALL = Object.keys(SHAPES);

/** Scion's groups for nanoGPT (docs/guide/norms.md, worked example). */
const scionGroups: GroupSpec[] = [
  { name: 'embed', match: 'wte', norm: sign({ normalized: true }), scale: 180 },
  { name: 'pos', match: 'wpe', norm: colNorm({ transpose: true }), scale: 3 },
  { name: 'gains', match: (_n: string, shape: readonly number[]) => shape.length === 1, norm: biasRMS(), scale: 3 },
  { name: 'conv', match: 'conv', norm: spectralConv(), scale: 3 },
  { name: 'hidden', norm: spectral(), scale: 3 },
];

const norms: Array<[string, () => Norm, readonly string[]]> = [
  ['sign', () => sign(), MATRICES],
  ['sign(normalized=false)', () => sign({ normalized: false }), MATRICES],
  ['signUnscaled', () => signUnscaled(), ALL],
  ['spectral', () => spectral(), MATRICES],
  ['spectral(polar-express)', () => spectral({ method: 'polar-express' }), MATRICES],
  ['spectral(max, unnormalized)', () => spectral({ max: true, normalized: false }), MATRICES],
  ['colNorm', () => colNorm(), MATRICES],
  ['colNorm(normalized, transpose)', () => colNorm({ normalized: true, transpose: true }), MATRICES],
  ['rowNorm', () => rowNorm(), MATRICES],
  ['rowNorm(unnormalized, transpose)', () => rowNorm({ normalized: false, transpose: true }), MATRICES],
  ['biasRMS', () => biasRMS(), VECTORS],
  ['frobenius', () => frobenius(), ALL],
  ['spectralConv', () => spectralConv(), ['conv']],
  ['auto', () => auto(), ALL],
];

const rules: Array<[string, Factory, boolean]> = [
  ['scion (SCG)', (b, p) => scion(b, p, { lr: 0.01, groups: scionGroups }), false],
  ['unconstrainedScion (uSCG)', (b, p) => unconstrainedScion(b, p, { lr: 0.01, groups: scionGroups }), false],
  ['scionLight', (b, p) => scionLight(b, p, { lr: 0.01, groups: scionGroups }), true],
  ['muon', (b, p) => muon(b, p, { lr: 0.02 }), false],
  ['signSGD', (b, p) => signSGD(b, p, { lr: 0.001 }), false],
  ['normalizedSGD', (b, p) => normalizedSGD(b, p, { lr: 0.1, momentum: 0.5 }), false],
];

const TOL = 1e-4;

for (const c of cases) {
  describe.skipIf(!c.available)(`parity with the reference backend: gpujs ${c.mode}${c.available ? '' : ` (skipped: ${c.reason})`}`, () => {
    const compare = async (names: readonly string[], make: Factory, light: boolean): Promise<void> => {
      const ref = await trajectory(createReferenceBackend(), names, make, light);
      const backend = createGpujsBackend(c.options);
      const got = await trajectory(backend, names, make, light);
      const errors = names.map((n) => [n, relErr(got.get(n)!, ref.get(n)!)] as const);
      for (const [n, e] of errors) expect(e, `${n}: relative error ${e}`).toBeLessThanOrEqual(TOL);
      // the optimizer freed everything it made
      expect(backend.stats().liveTensors).toBe(0);
      expect(backend.stats().liveValues).toBe(0);
      backend.destroy();
    };

    for (const [name, make, light] of rules) {
      it(`update rule ${name}`, () => compare(ALL, make, light));
    }
    for (const [name, norm, names] of norms) {
      // the update rules above already cover every norm family; on emulated GPUs the per-norm
      // variants run only with LMO_GPUJS_FULL=1
      it.skipIf(c.slow && !FULL)(`norm ${name}`, () => compare(names, (b, p) => createOptimizer(b, p, { lr: 0.05, norm: norm() }), false));
    }
  });
}
