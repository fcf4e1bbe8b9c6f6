import { scion, transformerGroups, type OrthogonalizationMethod } from '@lmo/core';
import { orthogonalizationPlan } from '@lmo/core/backend';
import { referenceBackend } from '@lmo/core/reference';
import { newtonSchulzFlops as kernelFlops } from '@lmo/onnxruntime';
import { paramSpecs, type GPTConfig } from '@lmo/gpt';

/**
 * Floating-point operations of `steps` Newton–Schulz iterations on a `rows × cols` matrix. The
 * iteration works on the wide orientation, `m = min(rows, cols) ≤ n = max(rows, cols)`, and each
 * step costs `A = X·Xᵀ` (2m²n) + `A·A` (2m³) + `B·X` (2m²n) = `4m²n + 2m³` (a multiply-add counts
 * as two; the elementwise work, O(m² + mn), is left out).
 */
export function newtonSchulzFlops(rows: number, cols: number, steps: number): number {
  const m = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  return steps * (4 * m * m * n + 2 * m ** 3);
}

/** A matrix Scion orthogonalizes each step, and how many Newton–Schulz steps it gets. */
export interface SpectralMatrix {
  readonly name: string;
  readonly shape: readonly [number, number];
  readonly steps: number;
  readonly method: OrthogonalizationMethod;
}

/** The parameters that Scion's groups for this model (core's `transformerGroups()`) route to a Spectral norm. */
export function spectralMatrices(config: GPTConfig): SpectralMatrix[] {
  // routed as training routes them: an optimizer over zero tensors of the model's shapes
  const params = new Map(paramSpecs(config).map((spec) => [spec.name, referenceBackend.fromArray(new Float32Array(spec.shape.reduce((a, d) => a * d, 1)), spec.shape)]));
  const optimizer = scion(referenceBackend, params, { lr: 1, groups: transformerGroups() });
  const matrices = optimizer.parameters.flatMap(({ name, shape, norm }) => {
    if (norm?.kind !== 'spectral') return [];
    const o = norm.options;
    return [{ name, shape: [shape[0]!, shape[1]!] as const, steps: o['steps'] as number, method: o['method'] as OrthogonalizationMethod }];
  });
  optimizer.dispose();
  return matrices;
}

/** Newton–Schulz flops of one Scion step on this model (≈ 2.35 GFLOP for nanoGPT's CPU config). */
export function scionStepFlops(config: GPTConfig): number {
  return spectralMatrices(config).reduce((sum, m) => sum + newtonSchulzFlops(m.shape[0], m.shape[1], m.steps), 0);
}

/**
 * Flops the onnxruntime backend's fused Newton–Schulz kernel spends on one Scion step: per matrix
 * its direct form or, where cheaper, its Gram form (≈ 1.69 GFLOP for nanoGPT's CPU config).
 */
export function scionStepKernelFlops(config: GPTConfig): number {
  return spectralMatrices(config).reduce((sum, m) => sum + kernelFlops(m.shape[0], m.shape[1], orthogonalizationPlan(m.method, m.steps).coefficients), 0);
}
