/**
 * The parity problem every browser page solves: a few Scion steps on a small nanoGPT-shaped
 * parameter set, with the same initial weights and gradients on the adapter under test and on
 * `@lmo/core`'s reference backend. The comparison is on each parameter's total update
 * Δ = x_T − x_0, which is what the optimizer computed (the weights themselves are dominated by x_0).
 */
import { Random, biasRMS, colNorm, sign, spectral, warmupCosine, type GroupSpec, type Schedule, type StorageDtype } from '@lmo/core';

/** A parameter of the problem: its name and shape (PyTorch layout, `[d_out, d_in]`). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Optimizer steps per run. */
export const STEPS = 5;

/** Embedding table, position table, a tall and a wide block matrix, and a LayerNorm gain. */
export const PARAMS: readonly ParamSpec[] = [
  { name: 'wte', shape: [32, 16] },
  { name: 'wpe', shape: [8, 16] },
  { name: 'h.0.attn.c_attn', shape: [48, 16] },
  { name: 'h.0.mlp.c_proj', shape: [16, 64] },
  { name: 'h.0.ln_1', shape: [16] },
];

/**
 * Scion's groups for nanoGPT (docs/concepts: the benchmark's defaults): sign on the embedding
 * table, column norm on the transposed position table, spectral on block matrices (Newton–Schulz,
 * 5 quintic steps), RMS on gains.
 */
export function groups(): GroupSpec[] {
  return [
    { name: 'embed', match: 'wte', norm: sign({ normalized: true }), scale: 180 },
    { name: 'pos', match: 'wpe', norm: colNorm({ transpose: true }), scale: 3 },
    { name: 'gains', match: 'h.*.ln_*', norm: biasRMS(), scale: 3 },
    { name: 'hidden', match: ['h.*.attn.*', 'h.*.mlp.*'], norm: spectral(), scale: 3 },
  ];
}

/** Hyperparameters shared by both sides: the learning rate changes every step (warmup, then cosine). */
export const LR = 2 ** -6;
export const MOMENTUM = 0.1;
export function schedule(): Schedule {
  return warmupCosine({ warmup: 2, decaySteps: STEPS, final: 0.1 });
}

/**
 * 16-bit storage (docs/concepts/16-bit-storage.md): the same problem with ScionLight, its weights
 * made in `dtype` and its gradient buffer G stored in `dtype` (`bufferDtype`), plain or with Kahan
 * compensation. Absent: Scion in float32.
 */
export interface StorageRun {
  readonly dtype: Exclude<StorageDtype, 'float32'>;
  readonly compensation?: 'kahan';
}

/** The 16-bit configurations a page with 16-bit storage runs, by the suffix of their backend name. */
export const STORAGE_RUNS: Readonly<Record<string, StorageRun>> = {
  bfloat16: { dtype: 'bfloat16' },
  'bfloat16+kahan': { dtype: 'bfloat16', compensation: 'kahan' },
  float16: { dtype: 'float16' },
};

/** Number of elements of a shape. */
export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function normals(size: number, rng: Random, scale: number): Float32Array {
  return Float32Array.from({ length: size }, () => rng.normal() * scale);
}

/** Initial weights (normal, std 0.02; gains 1 + noise), deterministic. */
export function initialWeights(): Map<string, Float32Array> {
  const rng = new Random(2025);
  return new Map(
    PARAMS.map((p) => {
      const size = sizeOfShape(p.shape);
      const w = normals(size, rng, 0.02);
      if (p.shape.length === 1) for (let i = 0; i < size; i++) w[i]! += 1;
      return [p.name, w] as const;
    }),
  );
}

/** The gradients of step `t` (standard normal, a different scale per parameter), deterministic. */
export function gradients(t: number): Map<string, Float32Array> {
  const rng = new Random(7919 * (t + 1));
  return new Map(PARAMS.map((p, i) => [p.name, normals(sizeOfShape(p.shape), rng, 0.1 * (i + 1))] as const));
}

/** Per parameter, the total update Δ = x_T − x_0. */
export function updates(initial: ReadonlyMap<string, Float32Array>, final: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map(
    [...initial].map(([name, x0]) => {
      const xT = final.get(name);
      if (!xT || xT.length !== x0.length) throw new Error(`no final value of ${name} with ${x0.length} elements`);
      return [name, Float32Array.from(x0, (v, i) => xT[i]! - v)] as const;
    }),
  );
}

