import { orthogonalizationPlan } from '@lmo/core/backend';
import { onnxBackend, type OnnxTensor } from '@lmo/onnxruntime';
import { modelThreads } from '@lmo/gpt/onnxruntime';
import { nsGemmInputs, type NsGemmTiming } from './ns-gemm-onnx.js';
import { sampleIt, type Samples } from './timing.js';

/**
 * Times `@lmo/onnxruntime`'s fused Newton–Schulz kernel alone on `shapes` (`[rows, cols]` as the
 * parameters are stored), the matrices of one shape in one call as core batches them, all of them in
 * one graph run per timed run, on a backend set up like the model's optimizer backend. The inputs are
 * normalized random matrices; the five quintic steps of core's default plan.
 */
export async function timeNsKernelOnnx(shapes: readonly (readonly [number, number])[], s: NsGemmTiming): Promise<Samples> {
  const b = onnxBackend({ intraOpNumThreads: s.threads ?? modelThreads() });
  const { coefficients } = orthogonalizationPlan('quintic', s.steps);
  const inputs = nsGemmInputs(shapes.map(([r, c]) => [Math.min(r, c), Math.max(r, c)] as const), s.seed);
  const groups = new Map<string, { xs: OnnxTensor[]; outs: OnnxTensor[]; side: 'left' | 'right' }>();
  shapes.forEach(([rows, cols], i) => {
    const key = `${rows}x${cols}`;
    // the smaller Gram matrix: X·Xᵀ for wide matrices, Xᵀ·X for tall ones
    const g = groups.get(key) ?? { xs: [], outs: [], side: rows > cols ? ('right' as const) : ('left' as const) };
    // the wide-orientation input, laid out as the parameter is
    const wide = inputs[i]!;
    const data = rows <= cols ? wide : transpose(wide, cols, rows);
    const x = b.fromArray(data, [rows, cols]);
    g.xs.push(x);
    g.outs.push(b.zerosLike(x));
    groups.set(key, g);
  });
  try {
    return await sampleIt(s.iters, s.warmup, () =>
      b.run(() => {
        for (const g of groups.values()) b.fused.newtonSchulz!(g.xs, coefficients, g.side).forEach((y, i) => b.assign(g.outs[i]!, y));
      }),
    );
  } finally {
    await b.close();
  }
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j]!;
  return t;
}
