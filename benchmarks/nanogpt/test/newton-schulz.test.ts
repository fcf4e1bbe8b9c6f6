import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '@lmo/gpt';
import { newtonSchulzGflop, spectralMatrices, timeNewtonSchulzOnnx } from '../src/bench/newton-schulz.js';

// What the torch side-by-side counts and times of Scion's Newton–Schulz on the nanoGPT models.
// The per-matrix counts are @lmo/onnxruntime's (tested there against the matmuls core runs).
const CPU: GPTConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };

describe('Scion step flops', () => {
  it("core's transformerGroups() send the four block matrices of every layer to Newton–Schulz (5 quintic steps)", () => {
    const matrices = spectralMatrices({ vocabSize: 7, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 });
    expect(matrices.map((m) => m.name)).toEqual(
      [0, 1].flatMap((l) => ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((p) => `transformer.h.${l}.${p}.weight`)),
    );
    expect(matrices.map((m) => m.shape)).toEqual([0, 1].flatMap(() => [[24, 8], [8, 8], [32, 8], [8, 32]]));
    expect(matrices.every((m) => m.coefficients.length === 5)).toBe(true);
  });

  it("nanoGPT's CPU config: 2.349 GFLOP per step in the direct form, 1.694 in the onnxruntime kernel's", () => {
    // per layer c_attn [384,128], attn c_proj [128,128], c_fc [512,128], mlp c_proj [128,512]; m = 128 for all
    const perStep = (n: number): number => 4 * 128 * 128 * n + 2 * 128 ** 3;
    expect(newtonSchulzGflop(spectralMatrices(CPU), 'direct')).toBe((4 * 5 * (perStep(384) + perStep(128) + 2 * perStep(512))) / 1e9);
    expect(newtonSchulzGflop(spectralMatrices(CPU), 'direct')).toBe(2.34881024);
    expect(newtonSchulzGflop(spectralMatrices(CPU), 'fused')).toBe(1.694498816);
  });

  it('times the fused kernel alone: one graph run per timed run', async () => {
    const matrices = spectralMatrices({ vocabSize: 7, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 8 });
    const t = await timeNewtonSchulzOnnx(matrices, { iters: 3, warmup: 1, seed: 1, threads: 1 });
    expect(t.wallMs).toHaveLength(3);
    expect(t.cpuMs.every((x) => x >= 0)).toBe(true);
  });
});
