import { QUINTIC } from '@lmo/core/testing';
import { polynomialSteps64 } from '@lmo/core/testing';
import { describe, expect, it } from 'vitest';
import { loadOrt } from '@lmo/gpt/onnxruntime';
import { nsGemmInputs, nsGemmModel, timeNsGemmsOnnx } from '../src/bench/ns-gemm-onnx.js';

// Keller Jordan's quintic, five times: the graph's steps, checked against them in float64.
const QUINTIC5 = Array.from({ length: 5 }, () => QUINTIC);

const shapes = [[3, 7], [6, 4], [5, 5]] as const;

describe("Newton–Schulz's GEMMs as one ONNX graph", () => {
  it('inputs are wide and of unit Frobenius norm', () => {
    const xs = nsGemmInputs(shapes, 1);
    expect(xs.map((x) => x.length)).toEqual([21, 24, 25]);
    for (const x of xs) expect(Math.abs(x.reduce((s, v) => s + v * v, 0) - 1)).toBeLessThan(1e-5);
  });

  it('computes Newton–Schulz on every matrix (wide orientation), and sumSquares is Σ of its squares', async () => {
    const ort = await loadOrt();
    const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    const xs = nsGemmInputs(shapes, 2);
    const feeds = Object.fromEntries(
      xs.map((x, i) => [`x${i}`, new ort.Tensor('float32', x, [Math.min(...shapes[i]!), Math.max(...shapes[i]!)])]),
    );
    const full = await ort.InferenceSession.create(nsGemmModel(shapes, 5, 'matrices'), options);
    const sums = await ort.InferenceSession.create(nsGemmModel(shapes, 5, 'sumSquares'), options);
    const y = await full.run(feeds);
    const z = await sums.run(feeds);
    shapes.forEach(([r, c], i) => {
      const [m, n] = [Math.min(r, c), Math.max(r, c)];
      const want = polynomialSteps64(xs[i]!, m, n, QUINTIC5);
      const got = y[`y${i}`]!;
      expect(got.dims).toEqual([m, n]);
      const data = got.data as Float32Array;
      let err = 0;
      let scale = 0;
      let ss = 0;
      for (let k = 0; k < want.length; k++) {
        err = Math.max(err, Math.abs(data[k]! - want[k]!));
        scale = Math.max(scale, Math.abs(want[k]!));
        ss += want[k]! ** 2;
      }
      expect(err / scale).toBeLessThan(1e-5);
      expect(Math.abs((z[`y${i}`]!.data as Float32Array)[0]! - ss) / ss).toBeLessThan(1e-5);
    });
    await full.release();
    await sums.release();
  });

  it('times the graph: one sample per run', async () => {
    const t = await timeNsGemmsOnnx(shapes, { steps: 2, iters: 3, warmup: 1, seed: 1, threads: 1 });
    expect(t.wallMs).toHaveLength(3);
    expect(t.cpuMs).toHaveLength(3);
  });
});
