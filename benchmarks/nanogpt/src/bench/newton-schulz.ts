import { Random, scion, transformerGroups, type OrthogonalizationMethod } from '@lmo/core';
import { orthogonalizationPlan, type PolynomialCoefficients } from '@lmo/core/backend';
import { referenceBackend } from '@lmo/core/reference';
import { newtonSchulzFlops, onnxBackend, type OnnxTensor } from '@lmo/onnxruntime';
import { paramSpecs, sizeOf, type GPTConfig } from '@lmo/gpt';
import { modelThreads } from '@lmo/gpt/onnxruntime';
import { sampleIt, type Samples } from './timing.js';

/** A matrix Scion orthogonalizes each step, and the Newton–Schulz steps it gets. */
export interface SpectralMatrix {
  readonly name: string;
  readonly shape: readonly [number, number];
  readonly coefficients: readonly PolynomialCoefficients[];
}

/** The parameters that Scion's groups for this model (core's `transformerGroups()`) route to a Spectral norm. */
export function spectralMatrices(config: GPTConfig): SpectralMatrix[] {
  // routed as training routes them: an optimizer over zero tensors of the model's shapes
  const params = new Map(paramSpecs(config).map((s) => [s.name, referenceBackend.fromArray(new Float32Array(sizeOf(s.shape)), s.shape)]));
  const optimizer = scion(referenceBackend, params, { lr: 1, groups: transformerGroups() });
  const matrices = optimizer.parameters.flatMap(({ name, shape, norm }) => {
    if (norm?.kind !== 'spectral') return [];
    const { coefficients } = orthogonalizationPlan(norm.options['method'] as OrthogonalizationMethod, norm.options['steps'] as number);
    return [{ name, shape: [shape[0]!, shape[1]!] as const, coefficients }];
  });
  optimizer.dispose();
  return matrices;
}

/**
 * Newton–Schulz flops of `matrices` (`@lmo/onnxruntime`'s count): `'direct'`, the plain iteration
 * that PyTorch's Scion runs (≈ 2.35 GFLOP per Scion step for nanoGPT's CPU config), or `'fused'`,
 * what onnxruntime's fused kernel executes (≈ 1.69 GFLOP).
 */
export function newtonSchulzGflop(matrices: readonly SpectralMatrix[], form: 'fused' | 'direct'): number {
  return matrices.reduce((sum, m) => sum + newtonSchulzFlops(m.shape[0], m.shape[1], m.coefficients, form), 0) / 1e9;
}

/** Settings of {@link timeNewtonSchulzOnnx}. */
export interface NewtonSchulzTiming {
  readonly iters: number;
  readonly warmup: number;
  readonly seed: number;
  /** onnxruntime intra-op threads (default as for the model: `NANOGPT_ORT_THREADS`, else every core). */
  readonly threads?: number;
}

/**
 * Times `@lmo/onnxruntime`'s fused Newton–Schulz kernel alone on `matrices` (random normal values
 * scaled to unit Frobenius norm, laid out as the parameters are), the matrices of one shape in one
 * call as core batches them, all of them in one graph run per timed run.
 */
export async function timeNewtonSchulzOnnx(matrices: readonly SpectralMatrix[], s: NewtonSchulzTiming): Promise<Samples> {
  const b = onnxBackend({ intraOpNumThreads: s.threads ?? modelThreads() });
  const rng = new Random(s.seed);
  const groups = new Map<string, { xs: OnnxTensor[]; outs: OnnxTensor[]; m: SpectralMatrix }>();
  for (const m of matrices) {
    const [rows, cols] = m.shape;
    const x = Float32Array.from({ length: rows * cols }, () => rng.normal());
    const norm = Math.hypot(...x);
    const key = `${rows}x${cols}`;
    const g = groups.get(key) ?? { xs: [], outs: [], m };
    g.xs.push(b.fromArray(x.map((v) => v / norm), [rows, cols]));
    g.outs.push(b.zerosLike(g.xs.at(-1)!));
    groups.set(key, g);
  }
  try {
    return await sampleIt(s.iters, s.warmup, () =>
      b.run(() => {
        // the smaller Gram matrix: X·Xᵀ for wide matrices, Xᵀ·X for tall ones
        for (const { xs, outs, m } of groups.values()) b.fused.newtonSchulz!(xs, m.coefficients, m.shape[0] > m.shape[1] ? 'right' : 'left').forEach((y, i) => b.assign(outs[i]!, y));
      }),
    );
  } finally {
    await b.close();
  }
}
