// @lmo/onnxruntime/onnx's GraphBuilder: a graph written in TypeScript, weights as raw-data
// initializers, run by onnxruntime and checked against the same math in float64.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/onnx/index.js';

describe('GraphBuilder', () => {
  it('y = 2·(x·wᵀ) + 1 with w a Float32Array weight: onnxruntime gives the float64 values', async () => {
    const x = Float32Array.from([0.5, -1, 2, 3, 0.25, -0.75, 1.5, -2, 4, 0, 1, -1]); // [4, 3]
    const w = Float32Array.from([0.1, -0.2, 0.3, 1.5, 2.5, -3.25]); // [2, 3]
    const g = new GraphBuilder('affine');
    const xs = g.input('x', [4, 3]);
    const ws = g.initializer('fc.weight', [2, 3], w);
    const y = g.add(g.mul(g.gemm(xs, ws, false, true), g.scalar(2)), g.scalar(1));
    g.output(g.reshape(y, [8]), 'y', [8]);
    const session = await ort.InferenceSession.create(g.encode('test'));
    const out = (await session.run({ x: new ort.Tensor('float32', x, [4, 3]) }))['y']!.data as Float32Array;
    const expected = Array.from({ length: 8 }, (_, k) => {
      const [i, j] = [Math.floor(k / 2), k % 2];
      let dot = 0;
      for (let c = 0; c < 3; c++) dot += x[i * 3 + c]! * w[j * 3 + c]!;
      return 2 * dot + 1;
    });
    out.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 5));
    await session.release();
  });

  it('shares a constant between its uses, names outputs, and refuses a weight of the wrong size', () => {
    const g = new GraphBuilder('shared');
    const x = g.input('x', [2, 2]);
    expect(g.scalar(3)).toBe(g.scalar(3));
    expect(g.ints([2, 2])).toBe(g.ints([2, 2]));
    expect(g.scalar(3)).not.toBe(g.scalar(4));
    const nodes = g.nodeCount;
    g.output(g.mul(x, g.scalar(3)), 'y', [2, 2]);
    expect(g.nodeCount).toBe(nodes + 2); // Mul, and the Identity that names the output
    expect(() => g.initializer('w', [2, 3], new Float32Array(5))).toThrow(/initializer w: 5 values for shape \[2, 3\]/);
  });
});
