/**
 * The reference backend's fused Newton–Schulz kernel against the same five quintic steps written
 * with the contract's primitives (what core does when a backend has no fused kernel).
 *
 *   pnpm exec vitest bench --project core --run bench/newton-schulz.bench.ts
 */
import { bench, describe } from 'vitest';
import type { NewtonSchulzCoefficients, TensorBackend } from '../src/backend.js';
import { Random } from '../src/random.js';
import { createReferenceBackend, type RefTensor } from '../src/reference/index.js';

const b = createReferenceBackend();
const COEFFS = Array<NewtonSchulzCoefficients>(5).fill([3.4445, -4.775, 2.0315]);

function viaPrimitives<T>(be: TensorBackend<T>, x: T): T {
  let X = be.div(x, be.addScalar(be.sqrt(be.sumSquares(x)), 1e-7));
  for (const [a, bb, c] of COEFFS) {
    const A = be.matmul(X, X, { transposeB: true });
    const B = be.axpby(bb, A, c, be.matmul(A, A));
    X = be.axpby(a, X, 1, be.matmul(B, X));
  }
  return X;
}

for (const [m, n] of [
  [128, 128],
  [128, 512],
  [256, 256],
  [256, 1024],
  [512, 512],
] as const) {
  const rng = new Random(m * n);
  const x: RefTensor = b.fromArray(Float32Array.from({ length: m * n }, () => rng.normal()), [m, n]);
  describe(`newtonSchulz ${m}x${n} (5 steps)`, () => {
    bench('fused', () => void b.fused!.newtonSchulz!(x, COEFFS, 1, 1e-7), { time: 1000 });
    bench('primitives', () => void viaPrimitives(b, x), { time: 1000 });
  });
}
