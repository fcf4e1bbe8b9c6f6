/**
 * Every norm's LMO on the Float32Array reference backend against the float64 oracle of docs/guide/norms.md,
 * on many shapes (square, tall, wide, 1×n, n×1, 1×1), zeros, and every option value.
 */
import { describe, expect, it } from 'vitest';
import type { Norm } from '../src/norms/norm.js';
import { auto, biasRMS, colNorm, frobenius, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';
import { allFinite, backends, expectClose, expectElementwise, runLmo } from './oracle/harness.js';
import { diffNorm, frob, gaussian, roundF32, withSingularValues } from './oracle/matrix.js';
import { autoOracle, biasRmsOracle, colNormOracle, frobeniusOracle, rowNormOracle, signOracle, sizeOfShape, spectralConvOracle, spectralOracle, transposedOracle, type OracleNorm, type Shape } from './oracle/norms.js';

const MATRIX_SHAPES: readonly Shape[] = [[1, 1], [1, 6], [6, 1], [5, 5], [8, 3], [3, 8], [17, 17], [24, 9], [9, 24]];
const VECTOR_SHAPES: readonly Shape[] = [[], [1], [2], [7], [33]];
const CONV_SHAPES: readonly Shape[] = [[4, 3, 3], [3, 5, 2], [8, 2, 3], [1, 1, 1], [2, 3, 3, 3], [6, 2, 1, 1], [5, 2, 2, 3], [12, 2, 2, 2]];
const ANY_SHAPES: readonly Shape[] = [[], [5], [1, 1], [3, 4], [7, 2], [2, 3, 4], [2, 2, 2, 3]];

/** Test inputs of a shape: Gaussians at three scales, one with exact zeros sprinkled in. */
function inputs(shape: Shape, seed: number): Float64Array[] {
  const n = sizeOfShape(shape);
  const a = roundF32(gaussian(n, seed));
  const b = roundF32(gaussian(n, seed + 1, 1e-3));
  const c = roundF32(gaussian(n, seed + 2, 1e3));
  const d = roundF32(gaussian(n, seed + 3).map((v, i) => (i % 3 === 1 ? 0 : v)));
  return [a, b, c, d];
}

interface Case {
  readonly label: string;
  readonly norm: () => Norm;
  readonly oracle: OracleNorm;
  readonly shapes: readonly Shape[];
  /** 'elementwise': every entry within 1e-5 relative; 'ns': Frobenius error ≤ 2e-4·‖oracle‖ (float32 Newton–Schulz). */
  readonly kind: 'elementwise' | 'ns';
}

const bools = [false, true] as const;
const methods = ['quintic', 'polar-express'] as const;

const CASES: Case[] = [
  ...bools.map(
    (normalized): Case => ({
      label: `sign({ normalized: ${normalized} })`,
      norm: () => sign({ normalized }),
      oracle: signOracle(normalized),
      shapes: MATRIX_SHAPES,
      kind: 'elementwise',
    }),
  ),
  { label: 'sign()', norm: () => sign(), oracle: signOracle(true), shapes: MATRIX_SHAPES, kind: 'elementwise' },
  ...bools.flatMap((normalized) =>
    bools.map(
      (transpose): Case => ({
        label: `colNorm({ normalized: ${normalized}, transpose: ${transpose} })`,
        norm: () => colNorm({ normalized, transpose }),
        oracle: colNormOracle(normalized, transpose),
        shapes: MATRIX_SHAPES,
        kind: 'elementwise',
      }),
    ),
  ),
  { label: 'colNorm()', norm: () => colNorm(), oracle: colNormOracle(false, false), shapes: MATRIX_SHAPES, kind: 'elementwise' },
  ...bools.flatMap((normalized) =>
    bools.map(
      (transpose): Case => ({
        label: `rowNorm({ normalized: ${normalized}, transpose: ${transpose} })`,
        norm: () => rowNorm({ normalized, transpose }),
        oracle: rowNormOracle(normalized, transpose),
        shapes: MATRIX_SHAPES,
        kind: 'elementwise',
      }),
    ),
  ),
  { label: 'rowNorm()', norm: () => rowNorm(), oracle: rowNormOracle(true, false), shapes: MATRIX_SHAPES, kind: 'elementwise' },
  { label: 'biasRMS()', norm: () => biasRMS(), oracle: biasRmsOracle(), shapes: VECTOR_SHAPES, kind: 'elementwise' },
  { label: 'frobenius()', norm: () => frobenius(), oracle: frobeniusOracle(), shapes: ANY_SHAPES, kind: 'elementwise' },
  { label: 'spectral()', norm: () => spectral(), oracle: spectralOracle(), shapes: MATRIX_SHAPES, kind: 'ns' },
  ...bools.flatMap((normalized) =>
    bools.flatMap((max) =>
      methods.map(
        (method): Case => ({
          label: `spectral({ normalized: ${normalized}, max: ${max}, method: ${method} })`,
          norm: () => spectral({ normalized, max, method }),
          oracle: spectralOracle({ normalized, max, method }),
          shapes: MATRIX_SHAPES,
          kind: 'ns',
        }),
      ),
    ),
  ),
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((steps) =>
    methods.map(
      (method): Case => ({
        label: `spectral({ steps: ${steps}, method: ${method} })`,
        norm: () => spectral({ steps, method }),
        oracle: spectralOracle({ steps, method }),
        shapes: [[1, 1], [1, 6], [6, 1], [5, 5], [8, 3], [3, 8]],
        kind: 'ns',
      }),
    ),
  ),
  { label: 'spectralConv()', norm: () => spectralConv(), oracle: spectralConvOracle(), shapes: CONV_SHAPES, kind: 'ns' },
  ...[1, 3, 7].flatMap((steps) =>
    methods.map(
      (method): Case => ({
        label: `spectralConv({ steps: ${steps}, method: ${method} })`,
        norm: () => spectralConv({ steps, method }),
        oracle: spectralConvOracle(steps, method),
        shapes: CONV_SHAPES,
        kind: 'ns',
      }),
    ),
  ),
  {
    label: 'auto()',
    norm: () => auto(),
    oracle: autoOracle(),
    shapes: [[], [1], [9], [4, 6], [6, 4], [1, 1], [3, 2, 3], [2, 2, 2, 2]],
    kind: 'ns',
  },
  {
    label: 'transposed(spectral())',
    norm: () => transposed(spectral()),
    oracle: transposedOracle(spectralOracle()),
    shapes: MATRIX_SHAPES,
    kind: 'ns',
  },
  {
    label: 'transposed(sign())',
    norm: () => transposed(sign()),
    oracle: transposedOracle(signOracle(true)),
    shapes: MATRIX_SHAPES,
    kind: 'elementwise',
  },
  {
    label: 'transposed(colNorm({ normalized: true }))',
    norm: () => transposed(colNorm({ normalized: true })),
    oracle: transposedOracle(colNormOracle(true, false)),
    shapes: MATRIX_SHAPES,
    kind: 'elementwise',
  },
  {
    label: 'transposed(rowNorm({ normalized: false, transpose: true }))',
    norm: () => transposed(rowNorm({ normalized: false, transpose: true })),
    oracle: transposedOracle(rowNormOracle(false, true)),
    shapes: MATRIX_SHAPES,
    kind: 'elementwise',
  },
];

function compare(kind: Case['kind'], got: Float32Array, want: Float64Array, what: string): void {
  if (kind === 'elementwise') expectElementwise(got, want, 1e-5, 1e-30, what);
  else expect(diffNorm(got, want), what).toBeLessThanOrEqual(2e-4 * frob(want) + 1e-7);
}

// The backends differ only in Newton–Schulz (fused kernel or primitives): elementwise norms run on one.
const RUNS = backends.flatMap(({ label, backend }, i) =>
  CASES.filter((c) => i === 0 || c.kind === 'ns').map((c) => ({ ...c, label: `${c.label} on ${label}`, backend })),
);

describe('LMOs on the reference backend vs the float64 oracle', () => {
  describe.each(RUNS)('$label', ({ norm, oracle, shapes, kind, backend }) => {
    it('matches the oracle on random inputs of every shape (three scales, with zeros), keeping the shape', () => {
      const n = norm();
      shapes.forEach((shape, si) => {
        n.check(shape, 'w');
        inputs(shape, 1000 + 17 * si).forEach((g, k) => {
          const before = Float32Array.from(g);
          const x = backend.fromArray(before, shape);
          const out = runLmo(n, g, shape, backend);
          expect(out.shape).toEqual([...shape]);
          expect(allFinite(out.values)).toBe(true);
          compare(kind, out.values, oracle.lmo(g, shape), `[${shape.join(', ')}] input #${k}`);
          // the input tensor is untouched
          const after = backend.read(x) as Float32Array;
          expect(after.every((v, i) => Object.is(v, before[i]))).toBe(true);
        });
      });
    });

    it('maps the zero tensor to zeros (no NaN), for every shape', () => {
      const n = norm();
      for (const shape of shapes) {
        const out = runLmo(n, new Float64Array(sizeOfShape(shape)), shape, backend);
        expect(out.values.length).toBe(sizeOfShape(shape));
        expect(out.values.every((v) => v === 0), `[${shape.join(', ')}]: ${String(out.values)}`).toBe(true);
      }
    });
  });
});

describe('exact values that pin the formulas (hand-computed)', () => {
  it('sign: sign(g)/d_in, sign(0) = 0; unnormalized: sign(g)', () => {
    const g = [3, -0.5, 0, 2, -7, 1e-30];
    expect(Array.from(runLmo(sign(), g, [2, 3]).values)).toEqual([1 / 3, -1 / 3, 0, 1 / 3, -1 / 3, 1 / 3].map(Math.fround));
    expect(Array.from(runLmo(sign({ normalized: false }), g, [2, 3]).values)).toEqual([1, -1, 0, 1, -1, 1]);
    expect(Array.from(runLmo(signUnscaled(), g, [6]).values)).toEqual([1, -1, 0, 1, -1, 1]);
    expect(Array.from(runLmo(signUnscaled(), [-2], []).values)).toEqual([-1]);
    expect(Array.from(runLmo(signUnscaled(), g, [1, 3, 2]).values)).toEqual([1, -1, 0, 1, -1, 1]);
  });

  it('colNorm: columns of [[3, 0], [4, 2]] have r = (5, 2)/√2, normalized ×2', () => {
    const g = [3, 0, 4, 2];
    const r = [5 / Math.SQRT2, 2 / Math.SQRT2];
    expectClose(runLmo(colNorm(), g, [2, 2]).values, [3 / r[0]!, 0, 4 / r[0]!, 2 / r[1]!], 1e-6);
    expectClose(runLmo(colNorm({ normalized: true }), g, [2, 2]).values, [3 / (2 * r[0]!), 0, 4 / (2 * r[0]!), 2 / (2 * r[1]!)], 1e-6);
    // transpose: the vectors are the rows [3, 0] and [4, 2]; d_out (of gᵀ) = 2
    const t = [3 / Math.SQRT2, Math.sqrt(20) / Math.SQRT2];
    expectClose(runLmo(colNorm({ transpose: true }), g, [2, 2]).values, [3 / t[0]!, 0, 4 / t[1]!, 2 / t[1]!], 1e-6);
  });

  it('colNorm on a 3×2 matrix: √d_out = √3, d_in = 2 (catches swapped dims)', () => {
    const g = [1, 0, 2, 0, 2, 5];
    const r0 = 3 / Math.sqrt(3);
    const r1 = 5 / Math.sqrt(3);
    expectClose(runLmo(colNorm(), g, [3, 2]).values, [1 / r0, 0, 2 / r0, 0, 2 / r0, 5 / r1], 1e-6);
    expectClose(runLmo(colNorm({ normalized: true }), g, [3, 2]).values, [1, 0, 2, 0, 2, 5].map((v, i) => v / (2 * (i % 2 === 0 ? r0 : r1))), 1e-6);
  });

  it('rowNorm on a 2×3 matrix: r_i = ‖g_i‖·√3 normalized, ‖g_i‖ not', () => {
    const g = [1, 2, 2, 0, 0, -4];
    expectClose(runLmo(rowNorm({ normalized: false }), g, [2, 3]).values, [1 / 3, 2 / 3, 2 / 3, 0, 0, -1], 1e-6);
    const k = Math.sqrt(3);
    expectClose(runLmo(rowNorm(), g, [2, 3]).values, [1 / 3, 2 / 3, 2 / 3, 0, 0, -1].map((v) => v / k), 1e-6);
    // transpose: vectors are the columns (1, 0), (2, 0), (2, −4); d_in of gᵀ = 2
    const c = [1, 2, Math.sqrt(20)].map((v) => v * Math.SQRT2);
    expectClose(runLmo(rowNorm({ transpose: true }), g, [2, 3]).values, [1 / c[0]!, 2 / c[1]!, 2 / c[2]!, 0, 0, -4 / c[2]!], 1e-6);
  });

  it('biasRMS: g/RMS(g), RMS([3, 4]) = √12.5; a scalar maps to ±1', () => {
    const rms = Math.sqrt(12.5);
    expectClose(runLmo(biasRMS(), [3, 4], [2]).values, [3 / rms, 4 / rms], 1e-6);
    expectClose(runLmo(biasRMS(), [-0.25], []).values, [-1], 1e-6);
  });

  it('frobenius: g/‖g‖_F', () => {
    expectClose(runLmo(frobenius(), [3, 0, 0, 4], [2, 2]).values, [0.6, 0, 0, 0.8], 1e-6);
  });

  it('spectral of a diagonal matrix: s·diag(φ(σ)); with many steps of Polar Express ≈ s·I', () => {
    // 2×3, σ = (2, 1): UVᵀ = [[1, 0, 0], [0, 1, 0]], s = √(2/3) normalized, √2 unnormalized, max(1, s) = 1.
    const g = [2, 0, 0, 0, 1, 0];
    const cases: [Norm, number][] = [
      [spectral({ method: 'polar-express', steps: 30 }), Math.sqrt(2 / 3)],
      [spectral({ method: 'polar-express', steps: 30, normalized: false }), Math.SQRT2],
      [spectral({ method: 'polar-express', steps: 30, max: true }), 1],
      [spectral({ method: 'polar-express', steps: 30, normalized: false, max: true }), Math.SQRT2],
    ];
    for (const [norm, s] of cases) {
      expectClose(runLmo(norm, g, [2, 3]).values, [s, 0, 0, 0, s, 0], 0.1, 0, `s = ${s}`);
    }
  });

  it('spectralConv: conv1d scale √(out/in)/k, conv2d √(out/in)/(kh·kw) (vs ≈UVᵀ from 30 Polar Express steps)', () => {
    for (const shape of [
      [2, 2, 3],
      [4, 2, 2, 2],
      [2, 8, 3, 1],
    ]) {
      const n = sizeOfShape(shape);
      const out = shape[0]!;
      const g = withSingularValues(out, n / out, Array.from({ length: Math.min(out, n / out) }, (_, i) => 1 + i), 3).data;
      const taps = sizeOfShape(shape.slice(2));
      const s = Math.sqrt(shape[0]! / shape[1]!) / taps;
      const got = runLmo(spectralConv({ method: 'polar-express', steps: 30 }), g, shape).values;
      const exact = spectralConvOracle().exact(roundF32(g), shape);
      expectClose(got, exact, 0.1, 0, `[${shape.join(', ')}]`);
      // the scale: ‖UVᵀ‖_F² = rank, so ‖lmo‖_F ≈ s·√rank
      expect(Math.abs(frob(got) / (s * Math.sqrt(Math.min(out, n / out))) - 1)).toBeLessThan(0.1);
    }
  });
});
