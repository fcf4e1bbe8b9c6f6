import { describe, expect, it } from 'vitest';
import { Random, type TensorBackend } from '@lmo/core';
import type { MatmulOptions } from '@lmo/core/backend';
import { createReferenceBackend, type RefTensor } from '@lmo/core/reference';
import { paramSpecs, sizeOf, type GPTConfig, initParams, createTrainOptimizer, nanoGptSchedule } from '@lmo/gpt';
import { newtonSchulzFlops, scionStepFlops, scionStepKernelFlops, spectralMatrices } from '../src/bench/scion-flops.js';
import { timeNsKernelOnnx } from '../src/bench/ns-kernel-onnx.js';

/** Core's reference backend without its fused Newton–Schulz, counting 2·m·k·n per matmul it runs. */
function countingBackend(): { backend: TensorBackend<RefTensor>; flops: () => number } {
  const base = createReferenceBackend({ fusedNewtonSchulz: false });
  let flops = 0;
  const backend: TensorBackend<RefTensor> = {
    ...base,
    matmul(a: RefTensor, b: RefTensor, o: MatmulOptions = {}) {
      const [ar, ac] = base.shape(a) as [number, number];
      const [br, bc] = base.shape(b) as [number, number];
      const [m, k] = o.transposeA ? [ac, ar] : [ar, ac];
      const n = o.transposeB ? br : bc;
      flops += 2 * m * k * n;
      return base.matmul(a, b, o);
    },
  };
  return { backend, flops: () => flops };
}

describe('Scion step flops', () => {
  it('one Scion step of a small GPT runs exactly the counted Newton–Schulz matmuls', async () => {
    const cfg: GPTConfig = { vocabSize: 7, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 8 };
    const { backend, flops } = countingBackend();
    const init = initParams(cfg, 3);
    const params = new Map(paramSpecs(cfg).map((s) => [s.name, backend.fromArray(init.get(s.name)!, s.shape)] as const));
    const rng = new Random(5);
    const grads = new Map(
      paramSpecs(cfg).map((s) => [s.name, backend.fromArray(Float32Array.from({ length: sizeOf(s.shape) }, () => rng.normal()), s.shape)] as const),
    );
    const opt = createTrainOptimizer('scion', backend, params, 2 ** -8, nanoGptSchedule(10));
    await opt.step(grads);
    opt.dispose();
    expect(spectralMatrices(cfg)).toHaveLength(2 * 4);
    expect(flops()).toBe(scionStepFlops(cfg));
  });

  it('per matrix: 5 steps of 4m²n + 2m³ with m = min(rows, cols), the same for a matrix and its transpose', () => {
    expect(newtonSchulzFlops(128, 384, 5)).toBe(5 * (4 * 128 * 128 * 384 + 2 * 128 ** 3));
    expect(newtonSchulzFlops(384, 128, 5)).toBe(newtonSchulzFlops(128, 384, 5));
    expect(newtonSchulzFlops(3, 3, 1)).toBe(4 * 27 + 2 * 27);
  });

  it("nanoGPT's CPU config: 16 block matrices, 2.349 GFLOP per step", () => {
    const cfg: GPTConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
    // per layer c_attn [384,128], attn c_proj [128,128], c_fc [512,128], mlp c_proj [128,512]; m = 128 for all
    const perStep = (n: number): number => 4 * 128 * 128 * n + 2 * 128 ** 3;
    const expected = 4 * 5 * (perStep(384) + perStep(128) + 2 * perStep(512));
    expect(scionStepFlops(cfg)).toBe(expected);
    expect(expected).toBe(2_348_810_240);
  });

  it("the onnxruntime kernel's executed flops: the Gram form (runs of 3 and 2 steps) on the 12 wide matrices", () => {
    const cfg: GPTConfig = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };
    const m3 = 128 ** 3;
    const gram = (n: number): number => 2 * 4 * 128 * 128 * n + (18 + 10) * m3;
    expect(scionStepKernelFlops(cfg)).toBe(4 * (gram(384) + 5 * 6 * m3 + 2 * gram(512)));
    expect(scionStepKernelFlops(cfg)).toBe(1_694_498_816);
  });

  it('times the fused kernel alone: one graph run per timed run', async () => {
    const t = await timeNsKernelOnnx([[24, 8], [8, 8], [8, 32]], { steps: 5, iters: 3, warmup: 1, seed: 1, threads: 1 });
    expect(t.wallMs).toHaveLength(3);
    expect(t.cpuMs.every((x) => x >= 0)).toBe(true);
  });
});
