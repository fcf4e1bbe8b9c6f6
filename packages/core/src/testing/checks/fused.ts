/** The optional fused `newtonSchulz` kernel, against the suite's float64 polynomial steps. */
import type { GramSide, PolynomialCoefficients, Shape } from '../../backend/contract.js';
import { POLAR_EXPRESS, QUINTIC } from '../../orthogonalize/coefficients.js';
import { check, expectExact, fmtShape } from '../assert.js';
import { polynomialSteps64 } from '../float64.js';
import { evaluate, randn, type Host } from '../harness.js';
import type { Check } from './common.js';

/** A random matrix normalized to unit Frobenius norm (the kernel's input is already normalized). */
function normalized(h: Host): Host {
  let ss = 0;
  for (const v of h.data) ss += v * v;
  const f = 1 / (Math.sqrt(ss) * 1.01);
  return { data: h.data.map((v) => v * f), shape: h.shape };
}

const QUINTIC5: readonly PolynomialCoefficients[] = Array<PolynomialCoefficients>(5).fill(QUINTIC);

export function fusedChecks(): Check[] {
  const cases: Array<[string, readonly PolynomialCoefficients[], GramSide, Shape, number]> = [
    ['identityStep', [[1, 0, 0]], 'left', [3, 5], 1],
    ['quintic.left', QUINTIC5, 'left', [17, 33], 1],
    ['quintic.right', QUINTIC5, 'right', [33, 17], 1],
    ['quintic.square', QUINTIC5, 'left', [64, 64], 1],
    ['quintic.vector', QUINTIC5, 'left', [1, 17], 1],
    ['quintic.batch', QUINTIC5, 'left', [8, 24], 3],
    ['polarExpress.left', POLAR_EXPRESS, 'left', [33, 65], 1],
    ['polarExpress.batch', POLAR_EXPRESS, 'right', [40, 12], 2],
  ];
  const checks: Check[] = cases.map(([name, coefficients, side, shape, count]) => ({
    id: `fused.newtonSchulz.${name}`,
    needs: 'fused.newtonSchulz' as const,
    async run({ b, rng, tol }) {
      const ns = b.fused?.newtonSchulz;
      if (ns === undefined) return;
      const [m, n] = shape as [number, number];
      const xs = Array.from({ length: count }, () => normalized(randn(rng, shape)));
      const label = `fused.newtonSchulz ${name}: ${count} × ${fmtShape(shape)}, ${side}`;
      const vs = await evaluate(b, xs, xs.map(() => shape), (ts) => ns.call(b.fused, ts, coefficients, side), label);
      vs.forEach((v, k) => {
        const want = polynomialSteps64(xs[k]!.data, m, n, coefficients);
        let err = 0;
        let norm = 0;
        for (let i = 0; i < want.length; i++) {
          err += (v[i]! - want[i]!) ** 2;
          norm += want[i]! ** 2;
        }
        const rel = Math.sqrt(err / norm);
        check(rel <= tol.newtonSchulz, `${label} (matrix ${k}): relative Frobenius error ${rel.toExponential(2)} exceeds ${tol.newtonSchulz}`);
      });
    },
  }));
  checks.push({
    id: 'fused.newtonSchulz.zeros',
    needs: 'fused.newtonSchulz',
    async run({ b }) {
      const ns = b.fused?.newtonSchulz;
      if (ns === undefined) return;
      for (const [shape, side] of [[[3, 4], 'left'], [[4, 3], 'right']] as const) {
        const z: Host = { data: new Float32Array(12), shape };
        const [v] = await evaluate(b, [z], [shape], (ts) => ns.call(b.fused, ts, QUINTIC5, side), 'fused.newtonSchulz of zeros');
        expectExact(v!, new Float32Array(12), `fused.newtonSchulz of a zero ${fmtShape(shape)} matrix must be zero`);
      }
    },
  });
  return checks;
}
