/**
 * Properties of every LMO, checked with fast-check on random shapes (up to 24×24) and values, on the
 * reference backend, with fixed seeds:
 *
 * - feasibility: ‖lmo(g)‖ ≤ 1 (exact norms; for Newton–Schulz the measured band of its scalar map),
 * - optimality: ⟨g, lmo(g)⟩ = ‖g‖_* (the dual norm),
 * - scale invariance lmo(c·g) = lmo(g) for c ∈ [1e-3, 1e3], and oddness lmo(−g) = −lmo(g).
 *
 * Tolerances. Exact norms: 1e-5 relative (float32) plus 1e-5 absolute, which covers the 1e-8 eps
 * of the vector normalizations (each vector loses at most eps/f² of ⟨g, u⟩, f ≥ 1/√24, so
 * < 24·24e-8 in all). Scale invariance is exact only up to those eps: the allowed deviation is the
 * deviation the float64 oracle itself shows between c·g and g, plus float32 rounding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Norm } from '../src/norms/norm.js';
import { biasRMS, colNorm, frobenius, rowNorm, sign, spectral, spectralConv, transposed } from '../src/norms/index.js';
import { runLmo } from './oracle/harness.js';
import { diffNorm, dot, f64, frob, gaussian, maxAbs, roundF32 } from './oracle/matrix.js';
import { newtonSchulz64 } from './oracle/newton-schulz.js';
import { biasRmsOracle, colNormOracle, convScale64, frobeniusOracle, rowNormOracle, signOracle, sizeOfShape, spectralConvOracle, spectralOracle, spectralScale64, transposedOracle, type OracleNorm, type Shape } from './oracle/norms.js';

interface Sample {
  readonly shape: Shape;
  readonly values: Float64Array;
}

/** Values for a shape: a grid of hundredths in [−10, 10] (exact zeros likely), or Gaussians at 10^e, e ∈ [−1, 3]. */
function valuesFor(shape: Shape): fc.Arbitrary<Sample> {
  const n = sizeOfShape(shape);
  return fc
    .oneof(
      fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: n, maxLength: n }).map((a) => a.map((k) => k / 100)),
      fc.tuple(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: -1, max: 3 })).map(([seed, e]) => Array.from(gaussian(n, seed, 10 ** e))),
    )
    .map((v) => ({ shape, values: roundF32(v) }));
}

const dim = fc.integer({ min: 1, max: 24 });
const matrices = fc.tuple(dim, dim).chain(([m, n]) => valuesFor([m, n]));
const vectors = fc.oneof(fc.constant<number[]>([]), fc.integer({ min: 1, max: 40 }).map((n) => [n])).chain(valuesFor);
const small = fc.integer({ min: 1, max: 6 });
const kernels = fc
  .oneof(
    fc.tuple(small, small, fc.integer({ min: 1, max: 3 })).map((t) => [...t]),
    fc.tuple(small, small, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map((t) => [...t]),
  )
  .chain(valuesFor);
const scales = fc.double({ min: 1e-3, max: 1e3, noNaN: true });

interface Case {
  readonly label: string;
  readonly norm: Norm;
  readonly oracle: OracleNorm;
  readonly samples: fc.Arbitrary<Sample>;
  /**
   * 'exact': the LMO is exact (up to eps). Otherwise Newton–Schulz with `steps`/`method`, whose
   * normalized singular values x ∈ (0, 1] become φ(x): the largest φ can be is `maxPhi`, measured on
   * the scalar map (quintic 5 steps: 1.2024; Polar Express 5 steps: 1.1411, 7 steps: 1.0874), and
   * `minRatio` bounds ⟨g, lmo⟩/‖g‖_* from below (φ ≥ 0.68 resp. 0.96 for x ≥ 1e-3..1e-2, and the
   * singular values below that carry at most 24·x of the nuclear norm).
   */
  readonly ns?: { readonly steps: number; readonly method: 'quintic' | 'polar-express'; readonly maxPhi: number; readonly minRatio: number };
  /** `s` such that lmo = s·NS(view); `view` is the 2-D view the orthogonalization runs on. */
  readonly nsScale?: (shape: Shape) => number;
}

const CASES: Case[] = [
  ...[true, false].map((normalized) => ({
    label: `sign({ normalized: ${normalized} })`,
    norm: sign({ normalized }),
    oracle: signOracle(normalized),
    samples: matrices,
  })),
  ...[false, true].flatMap((normalized) =>
    [false, true].flatMap((transpose) => [
      {
        label: `colNorm({ normalized: ${normalized}, transpose: ${transpose} })`,
        norm: colNorm({ normalized, transpose }),
        oracle: colNormOracle(normalized, transpose),
        samples: matrices,
      },
      {
        label: `rowNorm({ normalized: ${normalized}, transpose: ${transpose} })`,
        norm: rowNorm({ normalized, transpose }),
        oracle: rowNormOracle(normalized, transpose),
        samples: matrices,
      },
    ]),
  ),
  { label: 'biasRMS()', norm: biasRMS(), oracle: biasRmsOracle(), samples: vectors },
  { label: 'frobenius() on matrices', norm: frobenius(), oracle: frobeniusOracle(), samples: matrices },
  { label: 'frobenius() on kernels', norm: frobenius(), oracle: frobeniusOracle(), samples: kernels },
  {
    label: 'transposed(colNorm())',
    norm: transposed(colNorm()),
    oracle: transposedOracle(colNormOracle(false, false)),
    samples: matrices,
  },
  {
    label: 'spectral() (quintic, 5 steps)',
    norm: spectral(),
    oracle: spectralOracle(),
    samples: matrices,
    ns: { steps: 5, method: 'quintic', maxPhi: 1.2024, minRatio: 0.5 },
    nsScale: (s) => spectralScale64(s[0]!, s[1]!, true, false),
  },
  {
    label: 'spectral({ normalized: false, max: true, method: polar-express })',
    norm: spectral({ normalized: false, max: true, method: 'polar-express' }),
    oracle: spectralOracle({ normalized: false, max: true, method: 'polar-express' }),
    samples: matrices,
    ns: { steps: 5, method: 'polar-express', maxPhi: 1.1412, minRatio: 0.8 },
    nsScale: (s) => spectralScale64(s[0]!, s[1]!, false, true),
  },
  {
    label: 'spectral({ steps: 7, method: polar-express, max: true })',
    norm: spectral({ steps: 7, method: 'polar-express', max: true }),
    oracle: spectralOracle({ steps: 7, method: 'polar-express', max: true }),
    samples: matrices,
    ns: { steps: 7, method: 'polar-express', maxPhi: 1.0874, minRatio: 0.9 },
    nsScale: (s) => spectralScale64(s[0]!, s[1]!, true, true),
  },
  {
    label: 'spectralConv() (quintic, 5 steps)',
    norm: spectralConv(),
    oracle: spectralConvOracle(),
    samples: kernels,
    ns: { steps: 5, method: 'quintic', maxPhi: 1.2024, minRatio: 0.5 },
    nsScale: convScale64,
  },
];

const RUNS = 40;
const SEED = 0x5c10;

function lmo(c: Case, values: ArrayLike<number>, shape: Shape): Float64Array {
  return f64(runLmo(c.norm, values, shape).values);
}

describe.each(CASES)('$label', (c) => {
  const maxNorm = c.ns ? c.ns.maxPhi + 1e-4 : 1 + 1e-5;

  it(`‖lmo(g)‖ ≤ ${maxNorm.toPrecision(5)}`, () => {
    fc.assert(
      fc.property(c.samples, ({ shape, values }) => {
        const u = lmo(c, values, shape);
        expect(c.oracle.norm(u, shape)).toBeLessThanOrEqual(maxNorm);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('⟨g, lmo(g)⟩ = ‖g‖_* (Newton–Schulz: = s·⟨g, NS64(g)⟩ and within its band of ‖g‖_*)', () => {
    fc.assert(
      fc.property(c.samples, ({ shape, values }) => {
        const u = lmo(c, values, shape);
        const inner = dot(values, u);
        const dual = c.oracle.dual(values, shape);
        if (c.ns === undefined) {
          expect(Math.abs(inner - dual)).toBeLessThanOrEqual(1e-5 * dual + 1e-5);
          return;
        }
        const { steps, method, maxPhi, minRatio } = c.ns;
        const view = { rows: shape[0]!, cols: sizeOfShape(shape) / shape[0]!, data: values };
        const expected = c.nsScale!(shape) * dot(values, newtonSchulz64(view, steps, method).data);
        expect(Math.abs(inner - expected)).toBeLessThanOrEqual(2e-4 * dual + 1e-6);
        expect(inner).toBeLessThanOrEqual(maxPhi * dual + 1e-6);
        if (dual > 0) expect(inner / dual).toBeGreaterThanOrEqual(minRatio);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('lmo(c·g) = lmo(g) for c ∈ [1e-3, 1e3] (up to the eps the oracle shows)', () => {
    fc.assert(
      fc.property(c.samples, scales, ({ shape, values }, k) => {
        const scaledValues = roundF32(values.map((v) => v * k));
        const base = lmo(c, values, shape);
        const moved = lmo(c, scaledValues, shape);
        const oracleShift = diffNorm(c.oracle.lmo(scaledValues, shape), c.oracle.lmo(values, shape));
        const tol = c.ns ? 2e-4 * frob(base) + 1e-6 : 2e-5 * Math.max(frob(base), 1e-3) * Math.sqrt(base.length);
        expect(diffNorm(moved, base)).toBeLessThanOrEqual(tol + 1.01 * oracleShift);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it('lmo(−g) = −lmo(g)', () => {
    fc.assert(
      fc.property(c.samples, ({ shape, values }) => {
        const u = lmo(c, values, shape);
        const v = lmo(
          c,
          values.map((x) => -x),
          shape,
        );
        expect(diffNorm(v, u.map((x) => -x))).toBeLessThanOrEqual(1e-6 * maxAbs(u) * Math.sqrt(u.length));
      }),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  if (c.ns === undefined) {
    it('lmo is a projection onto the sphere for g ≠ 0: lmo(lmo(g)) = lmo(g) and ‖lmo(g)‖ = 1', () => {
      fc.assert(
        fc.property(c.samples, ({ shape, values }) => {
          fc.pre(maxAbs(values) > 0);
          const u = lmo(c, values, shape);
          expect(Math.abs(c.oracle.norm(u, shape) - 1)).toBeLessThanOrEqual(1e-4);
          expect(diffNorm(lmo(c, u, shape), u)).toBeLessThanOrEqual(1e-5 * frob(u) + 1e-6);
        }),
        { seed: SEED + 4, numRuns: RUNS },
      );
    });
  }
});

/**
 * The float64 oracles' norm and dual are a dual pair (Hölder: ⟨g, w⟩ ≤ ‖w‖·‖g‖_*, with equality at
 * w = exact lmo(g), ‖exact lmo(g)‖ = 1). This checks the oracle's formulas against each other, so a
 * wrong factor in an oracle cannot make the properties above pass or fail by accident.
 */
describe('the float64 oracles: norm and dual norm are a dual pair', () => {
  const pairs: [OracleNorm, fc.Arbitrary<Sample>][] = [
    [signOracle(true), matrices],
    [signOracle(false), matrices],
    [colNormOracle(true, false), matrices],
    [colNormOracle(false, true), matrices],
    [rowNormOracle(true, true), matrices],
    [rowNormOracle(false, false), matrices],
    [biasRmsOracle(), vectors],
    [frobeniusOracle(), kernels],
    [spectralOracle({ normalized: false, max: true }), matrices],
    [spectralOracle(), matrices],
    [spectralConvOracle(), kernels],
  ];
  it.each(pairs.map(([o, a]) => [o.label, o, a] as const))('%s', (_label, oracle, samples) => {
    fc.assert(
      fc.property(samples, fc.integer({ min: 0, max: 0x7fffffff }), ({ shape, values }, seed) => {
        const w = gaussian(values.length, seed);
        const dual = oracle.dual(values, shape);
        expect(dot(values, w)).toBeLessThanOrEqual(oracle.norm(w, shape) * dual * (1 + 1e-9) + 1e-12);
        fc.pre(maxAbs(values) > 0);
        const u = oracle.exact(values, shape);
        expect(Math.abs(dot(values, u) - dual)).toBeLessThanOrEqual(1e-6 * dual + 1e-5); // + the eps term, as above
        expect(oracle.norm(u, shape)).toBeLessThanOrEqual(1 + 1e-9);
      }),
      { seed: SEED + 5, numRuns: 25 },
    );
  });
});
