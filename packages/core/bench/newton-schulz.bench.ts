/**
 * The reference backend's fused Newton–Schulz kernel against the same five quintic steps written
 * with the contract's primitives (what core does when a backend has no fused kernel).
 *
 *   pnpm exec vitest bench --project core --run bench/newton-schulz.bench.ts
 */
import { afterAll, bench, describe } from 'vitest';
import type { PolynomialCoefficients } from '../src/backend/contract.js';
import { QUINTIC } from '../src/orthogonalize/coefficients.js';
import { polynomialSteps } from '../src/orthogonalize/orthogonalize.js';
import { Random } from '../src/random.js';
import { createReferenceBackend } from '../src/reference/index.js';
import { medians, timed } from './timing.js';

const b = createReferenceBackend();
const COEFFS = Array<PolynomialCoefficients>(5).fill(QUINTIC);

const SHAPES = [
  [128, 128],
  [128, 512],
  [256, 256],
  [256, 1024],
  [512, 512],
] as const;

for (const [m, n] of SHAPES) {
  const rng = new Random(m * n);
  const x = b.fromArray(Float32Array.from({ length: m * n }, () => rng.normal()), [m, n]);
  const opts = m * n >= 256 * 256 ? { time: 0, iterations: 4, warmupIterations: 1, warmupTime: 0 } : { time: 1000 };
  describe(`newtonSchulz ${m}x${n} (5 quintic steps)`, () => {
    bench(`fused ${m}x${n}`, timed(`fused ${m}x${n}`, () => void b.fused!.newtonSchulz!([x], COEFFS, 'left')), opts);
    bench(`primitives ${m}x${n}`, timed(`primitives ${m}x${n}`, () => void polynomialSteps(b, x, COEFFS, 'left')), opts);
  });
}

afterAll(() => {
  const lines = ['', 'newtonSchulz median ms (wall | cpu), fused vs primitives:'];
  for (const [m, n] of SHAPES) {
    const f = medians(`fused ${m}x${n}`);
    const p = medians(`primitives ${m}x${n}`);
    lines.push(
      `  ${m}x${n}: fused ${f.wallMs.toFixed(1)} | ${f.cpuMs.toFixed(1)}   primitives ${p.wallMs.toFixed(1)} | ${p.cpuMs.toFixed(1)}` +
        `   speedup ${(p.wallMs / f.wallMs).toFixed(2)}x | ${(p.cpuMs / f.cpuMs).toFixed(2)}x`,
    );
  }
  console.log(lines.join('\n'));
});
