/**
 * SCG keeps its iterates in the ρ-ball: with γ ∈ (0, 1] and x₀ inside it,
 * ‖x_{k+1}‖ ≤ (1 − γ)‖x_k‖ + γρ‖lmo(d)‖ ≤ ρ, for every norm whose LMO lies in the unit ball.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colNorm } from '../src/norms/col-norm.js';
import { frobenius } from '../src/norms/frobenius.js';
import type { Norm } from '../src/norms/norm.js';
import { rowNorm } from '../src/norms/row-norm.js';
import { sign } from '../src/norms/sign.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { ref, tensor, values } from './helpers/backend.js';
import { colNormValue, frobeniusNorm, mat, rng, rowNormValue, signNorm, type Mat } from './helpers/f64.js';

type NormName = 'sign' | 'colNorm' | 'rowNorm' | 'frobenius';

const NORMS: Record<NormName, { make: () => Norm; value: (m: Mat) => number }> = {
  sign: { make: () => sign(), value: signNorm },
  colNorm: { make: () => colNorm(), value: colNormValue },
  rowNorm: { make: () => rowNorm(), value: rowNormValue },
  frobenius: { make: () => frobenius(), value: frobeniusNorm },
};

/** Gradient entries spanning many magnitudes, with some exact zeros. */
function gradient(next: () => number, n: number, magnitude: number): number[] {
  return Array.from({ length: n }, () => {
    const u = next();
    if (u < 0.1) return 0;
    return (next() - 0.5) * magnitude * 10 ** (4 * next() - 2);
  });
}

function trajectoryNorms(opts: {
  norm: NormName;
  rows: number;
  cols: number;
  gamma: number;
  rho: number;
  momentum: number;
  unconstrained: boolean;
  seed: number;
  steps: number;
  magnitude: number;
}): number[] {
  const { norm, rows, cols, gamma, rho, momentum, unconstrained, seed, steps, magnitude } = opts;
  const w = tensor(new Array<number>(rows * cols).fill(0), [rows, cols]);
  const opt = createOptimizer(ref, { w }, { lr: gamma, scale: rho, momentum, unconstrained, norm: NORMS[norm].make() });
  opt.init(seed);
  const next = rng(seed);
  const norms = [NORMS[norm].value(mat(rows, cols, values(w)))];
  for (let k = 0; k < steps; k++) {
    opt.step({ w: tensor(gradient(next, rows * cols, magnitude), [rows, cols]) });
    norms.push(NORMS[norm].value(mat(rows, cols, values(w))));
  }
  return norms;
}

describe('SCG iterates stay in the ρ-ball', () => {
  for (const norm of Object.keys(NORMS) as NormName[]) {
    it(`${norm}: ‖x_k‖ ≤ ρ for random γ ∈ (0, 1], ρ, α and gradients, from opt.init()`, () => {
      fc.assert(
        fc.property(
          fc.record({
            rows: fc.integer({ min: 1, max: 5 }),
            cols: fc.integer({ min: 1, max: 5 }),
            gamma: fc.double({ min: 1e-6, max: 1, noNaN: true }),
            rho: fc.double({ min: 1e-2, max: 200, noNaN: true }),
            momentum: fc.double({ min: 0.01, max: 1, noNaN: true }),
            magnitude: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
            seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          }),
          (c) => {
            const norms = trajectoryNorms({ ...c, norm, unconstrained: false, steps: 6 });
            // init() starts inside (on the boundary of) the ball.
            expect(norms[0]!).toBeGreaterThan(0);
            for (const [k, v] of norms.entries()) {
              expect(v, `step ${k}`).toBeLessThanOrEqual(c.rho * (1 + 1e-5));
            }
          },
        ),
        { numRuns: 60, seed: 20250207 },
      );
    });
  }

  it('the check can fail: uSCG with γ = 1 walks out of the ball', () => {
    // Same machinery, unconstrained: with a gradient opposite to x the first step doubles the norm.
    const w = tensor(new Array<number>(6).fill(0), [2, 3]);
    const opt = createOptimizer(ref, { w }, { lr: 1, scale: 2, momentum: 1, unconstrained: true, norm: sign() });
    opt.init(3);
    const x0 = values(w);
    expect(signNorm(mat(2, 3, x0))).toBeCloseTo(2, 6);
    opt.step({ w: tensor(x0.map((v) => -v), [2, 3]) });
    expect(signNorm(mat(2, 3, values(w)))).toBeCloseTo(4, 5);
    // The constrained update on the same input lands on the boundary again (x₁ = −ρ·lmo(−x₀) = x₀).
    const v = tensor(new Array<number>(6).fill(0), [2, 3]);
    const scg = createOptimizer(ref, { v }, { lr: 1, scale: 2, momentum: 1, norm: sign() });
    scg.init(3);
    scg.step({ v: tensor(x0.map((e) => -e), [2, 3]) });
    expect(values(v)).toEqual(x0);
  });
});
