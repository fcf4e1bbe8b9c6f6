import { Random } from '@lmo/core';
import { QUINTIC } from '@lmo/core/testing';
import { sessionOptions } from '@lmo/onnxruntime';
import type * as ort from 'onnxruntime-node';
import { GraphBuilder, loadOrt, modelThreads } from '@lmo/gpt/onnxruntime';
import { sampleIt, type Samples } from './timing.js';

/** What the graph returns per matrix: the result, or only its sum of squares (no copy-out). */
export type NsGemmOutput = 'matrices' | 'sumSquares';

/**
 * An ONNX graph of nothing but Newton–Schulz's GEMMs: for each `[rows, cols]` of `shapes` an input
 * `x<i>` of the wide orientation `[m, n]` (m ≤ n, normalized by the caller), then per step, each
 * one `Gemm` with its scaled addend folded in (`Gemm(A, B, C) = α·A·B + β·C`):
 *
 * ```
 * A = X·Xᵀ           B = c·A·A + b·A           X = 1·B·X + a·X
 * ```
 *
 * with the quintic `(a, b, c)`. Output `y<i>`: the final X, or `Σ X²` (`sumSquares`).
 */
export function nsGemmModel(shapes: readonly (readonly [number, number])[], steps: number, output: NsGemmOutput): Uint8Array {
  const [a, b, c] = QUINTIC;
  const g = new GraphBuilder('newton_schulz_gemms');
  shapes.forEach(([rows, cols], i) => {
    const m = Math.min(rows, cols);
    const n = Math.max(rows, cols);
    let x = g.input(`x${i}`, [m, n]);
    for (let s = 0; s < steps; s++) {
      const gram = g.op1('Gemm', [x, x], { transB: { int: 1 } });
      const poly = g.op1('Gemm', [gram, gram, gram], { alpha: { float: c }, beta: { float: b } });
      x = g.op1('Gemm', [poly, x, x], { alpha: { float: 1 }, beta: { float: a } });
    }
    if (output === 'matrices') g.output(x, `y${i}`, [m, n]);
    else g.output(g.op1('ReduceSumSquare', [x], { keepdims: { int: 0 } }), `y${i}`, []);
  });
  return g.encode();
}

/** Random normal `[m, n]` matrices (wide orientation) scaled to unit Frobenius norm, from `seed`. */
export function nsGemmInputs(shapes: readonly (readonly [number, number])[], seed: number): Float32Array[] {
  const rng = new Random(seed);
  return shapes.map(([rows, cols]) => {
    const x = new Float32Array(rows * cols);
    let ss = 0;
    for (let i = 0; i < x.length; i++) {
      const v = rng.normal();
      x[i] = v;
      ss += v * v;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < x.length; i++) x[i]! *= inv;
    return x;
  });
}

/** Settings of {@link timeNsGemmsOnnx}. */
export interface NsGemmTiming {
  readonly steps: number;
  readonly iters: number;
  readonly warmup: number;
  readonly seed: number;
  /** onnxruntime intra-op threads (default as for the model: `NANOGPT_ORT_THREADS`, else every core). */
  readonly threads?: number;
}

/**
 * Times {@link nsGemmModel} (sums of squares out) on onnxruntime's CPU provider with the model's
 * session options: one `session.run` per timed run, so its fixed cost is spread over all the GEMMs.
 */
export async function timeNsGemmsOnnx(shapes: readonly (readonly [number, number])[], s: NsGemmTiming): Promise<Samples> {
  const api = await loadOrt();
  const options = sessionOptions({ intraOpNumThreads: s.threads ?? modelThreads() });
  const session = await api.InferenceSession.create(nsGemmModel(shapes, s.steps, 'sumSquares'), options);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    nsGemmInputs(shapes, s.seed).forEach((x, i) => {
      const [rows, cols] = shapes[i]!;
      feeds[`x${i}`] = new api.Tensor('float32', x, [Math.min(rows, cols), Math.max(rows, cols)]);
    });
    return await sampleIt(s.iters, s.warmup, () => session.run(feeds));
  } finally {
    await session.release();
  }
}
