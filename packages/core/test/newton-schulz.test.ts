import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { POLAR_EXPRESS as SRC_POLAR_EXPRESS, QUINTIC as SRC_QUINTIC, orthogonalizationPlan, orthogonalize, type OrthogonalizationMethod } from '../src/orthogonalize/index.js';
import { allFinite, backends, expectClose } from './oracle/harness.js';
import { at, diffNorm, frob, gaussian, identity, mat, matmul, roundF32, transpose, withSingularValues, type M64 } from './oracle/matrix.js';
import { POLAR_EXPRESS_LISTING, QUINTIC, coefficients, newtonSchulz64, scalarIteration, type Method } from './oracle/newton-schulz.js';
import { polarFactor, singularValues, svd } from './oracle/svd.js';

const SHAPES: readonly (readonly [number, number])[] = [
  [1, 1],
  [1, 7],
  [7, 1],
  [4, 4],
  [5, 9],
  [9, 5],
  [16, 16],
  [24, 10],
  [10, 24],
];

/** The matrix rounded to float32 (what the backend sees), as float64. */
function f32Matrix(rows: number, cols: number, values: ArrayLike<number>): M64 {
  return mat(rows, cols, roundF32(values));
}

/** Orthogonalize on a backend, returning float32 values. */
function runOrthogonalize(backend: (typeof backends)[number]['backend'], g: M64, method: OrthogonalizationMethod, steps: number): Float32Array {
  const x = backend.fromArray(Float32Array.from(g.data), [g.rows, g.cols]);
  let out: Float32Array | undefined;
  void backend.run(() => {
    const [y] = orthogonalize(backend, [x], orthogonalizationPlan(method, steps)) as [typeof x];
    expect(backend.shape(y)).toEqual([g.rows, g.cols]);
    out = backend.read(y) as Float32Array;
  });
  return out!;
}

/** A well-conditioned matrix: singular values spread over [1, cond]. */
function wellConditioned(rows: number, cols: number, seed: number, cond = 10): M64 {
  const k = Math.min(rows, cols);
  const sigma = Array.from({ length: k }, (_, i) => (k === 1 ? cond : 1 + ((cond - 1) * i) / (k - 1)));
  return f32Matrix(rows, cols, withSingularValues(rows, cols, sigma, seed).data);
}

describe('float64 oracle: one-sided Jacobi SVD', () => {
  it.each(SHAPES)('reconstructs a random %i×%i matrix with orthonormal factors', (m, n) => {
    const a = mat(m, n, gaussian(m * n, 100 + m * 31 + n));
    const { u, sigma, v } = svd(a);
    const k = Math.min(m, n);
    expect([u.rows, u.cols, v.rows, v.cols, sigma.length]).toEqual([m, k, n, k, k]);
    const us = mat(m, k);
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) us.data[i * k + j] = at(u, i, j) * sigma[j]!;
    expect(diffNorm(matmul(us, transpose(v)).data, a.data)).toBeLessThan(1e-12 * frob(a));
    expect(diffNorm(matmul(transpose(u), u).data, identity(k).data)).toBeLessThan(1e-12);
    expect(diffNorm(matmul(transpose(v), v).data, identity(k).data)).toBeLessThan(1e-12);
    for (let j = 1; j < k; j++) expect(sigma[j]!).toBeLessThanOrEqual(sigma[j - 1]!);
    expect(sigma[k - 1]!).toBeGreaterThanOrEqual(0);
  });

  it('recovers prescribed singular values, and ‖A‖_F² = Σσ²', () => {
    const sigma = [9, 4, 2.5, 1, 0.25, 1e-3];
    const a = withSingularValues(11, 6, sigma, 7);
    const got = singularValues(a);
    expectClose(got, sigma, 1e-12, 0, 'σ');
    expect(Math.abs(frob(a) ** 2 - sigma.reduce((s, x) => s + x * x, 0))).toBeLessThan(1e-11);
    expectClose(singularValues(transpose(a)), sigma, 1e-12, 0, 'σ of the transpose');
  });

  it('gives an orthogonal polar factor, and polar(0) = 0', () => {
    const a = mat(6, 4, gaussian(24, 5));
    const q = polarFactor(a);
    expect(diffNorm(matmul(transpose(q), q).data, identity(4).data)).toBeLessThan(1e-12);
    // U·Vᵀ is the closest orthogonal matrix: its inner product with a is the nuclear norm.
    const nuclear = singularValues(a).reduce((s, x) => s + x, 0);
    expect(Math.abs(q.data.reduce((s, x, i) => s + x * a.data[i]!, 0) - nuclear)).toBeLessThan(1e-12 * nuclear);
    expect(Array.from(polarFactor(mat(3, 5)).data).every((x) => x === 0)).toBe(true);
  });
});

describe('float64 oracle: Newton–Schulz acts on singular values only', () => {
  for (const method of ['quintic', 'polar-express'] as const) {
    it.each([1, 2, 3, 5, 7])(`${method}, %i steps: NS(UΣVᵀ) = U·φ(Σ/(‖g‖_F·k+ε))·Vᵀ`, (steps) => {
      const sigma = [3, 2, 1.5, 0.5, 0.1];
      for (const [m, n] of [
        [5, 8],
        [8, 5],
      ] as const) {
        const g = withSingularValues(m, n, sigma, 11 * steps + m);
        const { u, v } = svd(g);
        const x = newtonSchulz64(g, steps, method);
        const core = matmul(matmul(transpose(u), x), v); // should be diag(φ(σ))
        const fro = frob(g);
        const pre = method === 'quintic' ? fro + 1e-7 : fro * 1.01 + 1e-7;
        const expected = mat(5, 5);
        sigma.forEach((s, i) => (expected.data[i * 5 + i] = scalarIteration(s / pre, steps, method)));
        expectClose(core.data, expected.data, 1e-10, 1e-12, `Uᵀ·NS·V (${m}×${n})`);
      }
    });
  }

  it('has the published coefficients, and the code under test uses the same ones', () => {
    expect(QUINTIC).toEqual([3.4445, -4.775, 2.0315]);
    expect(SRC_QUINTIC).toEqual(QUINTIC);
    expect(POLAR_EXPRESS_LISTING).toHaveLength(8);
    expect(SRC_POLAR_EXPRESS).toHaveLength(8);
    SRC_POLAR_EXPRESS.forEach((triple, i) => {
      const want = coefficients('polar-express', i);
      triple.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(1e-15 * Math.abs(want[k]!)));
    });
    // The last triple is the classical Newton–Schulz polynomial (15x − 10x³ + 3x⁵)/8, fixed point 1.
    expect(SRC_POLAR_EXPRESS[7]).toEqual([15 / 8, -10 / 8, 3 / 8]);
  });
});

describe('orthogonalization plans', () => {
  it.each([1, 2, 5, 7])('quintic, %i steps: the quintic every step, X/(‖X‖_F + 1e-7)', (steps) => {
    const plan = orthogonalizationPlan('quintic', steps);
    expect(plan.coefficients).toHaveLength(steps);
    for (const c of plan.coefficients) expect(c).toEqual([3.4445, -4.775, 2.0315]);
    expect([plan.normScale, plan.normEps]).toEqual([1, 1e-7]);
  });

  it.each([1, 3, 5, 8, 9, 12])('polar-express, %i steps: the paper\'s triples in order (the 8th repeats), X/(‖X‖_F·1.01 + 1e-7)', (steps) => {
    const plan = orthogonalizationPlan('polar-express', steps);
    expect(plan.coefficients).toHaveLength(steps);
    plan.coefficients.forEach((c, i) => {
      const want = coefficients('polar-express', i);
      c.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThanOrEqual(1e-15 * Math.abs(want[k]!)));
    });
    expect([plan.normScale, plan.normEps]).toEqual([1.01, 1e-7]);
  });

  it('rejects a step count that is not a positive integer', () => {
    for (const steps of [0, -1, 2.5, Number.NaN]) expect(() => orthogonalizationPlan('quintic', steps)).toThrow(LmoError);
  });

  it('rejects an unknown method with UNKNOWN_NORM', () => {
    let caught: unknown;
    try {
      orthogonalizationPlan('foo' as OrthogonalizationMethod, 5);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LmoError);
    expect((caught as LmoError).code).toBe('UNKNOWN_NORM');
    expect((caught as LmoError).message).toContain('foo');
  });
});

describe('Newton–Schulz in float64 vs the exact polar factor U·Vᵀ', () => {
  // φ over the normalized singular values x ∈ [x_lo, 1] that a well-conditioned input can produce.
  function band(method: Method, steps: number, lo: number, hi: number): [number, number] {
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k <= 4000; k++) {
      const y = scalarIteration(lo * (hi / lo) ** (k / 4000), steps, method);
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    return [min, max];
  }

  it('measures the quintic band: 5 steps map x ∈ [0.01, 1] into [0.68, 1.14] (not onto 1)', () => {
    const [lo, hi] = band('quintic', 5, 0.01, 1);
    expect(lo).toBeGreaterThan(0.68);
    expect(lo).toBeLessThan(0.69); // the band really is this wide: the quintic does not converge to 1
    expect(hi).toBeGreaterThan(1.13);
    expect(hi).toBeLessThan(1.14);
  });

  it('measures the Polar Express band over x ∈ [0.001, 1]: 5 steps within 0.16 of 1, 6 within 6e-3, 8 and more within 1e-9', () => {
    const [lo5, hi5] = band('polar-express', 5, 1e-3, 1);
    expect(Math.max(1 - lo5, hi5 - 1)).toBeLessThan(0.16);
    const [lo6, hi6] = band('polar-express', 6, 1e-3, 1);
    expect(Math.max(1 - lo6, hi6 - 1)).toBeLessThan(6e-3);
    for (const steps of [8, 12, 20]) {
      const [lo, hi] = band('polar-express', steps, 1e-3, 1);
      expect(Math.max(1 - lo, hi - 1), `${steps} steps`).toBeLessThan(1e-9);
    }
  });

  it.each(SHAPES)('quintic, 5 steps, well-conditioned %i×%i: singular values of NS(g) in [0.66, 1.16], same singular vectors', (m, n) => {
    const g = wellConditioned(m, n, 3 * m + n);
    const x = newtonSchulz64(g, 5, 'quintic');
    const s = singularValues(x);
    for (const v of s) {
      expect(v).toBeGreaterThan(0.66);
      expect(v).toBeLessThan(1.16);
    }
    const { u, v } = svd(g);
    const core = matmul(matmul(transpose(u), x), v);
    const k = Math.min(m, n);
    let off = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) off += at(core, i, j) ** 2;
    expect(Math.sqrt(off)).toBeLessThan(1e-10);
  });

  it.each(SHAPES)('polar-express, well-conditioned %i×%i: ‖NS(g) − UVᵀ‖_F ≤ 0.16·‖UVᵀ‖_F at 5 steps, ≤ 1e-4 at 8', (m, n) => {
    const g = wellConditioned(m, n, 5 * m + n);
    const q = polarFactor(g);
    const x5 = newtonSchulz64(g, 5, 'polar-express');
    const x8 = newtonSchulz64(g, 8, 'polar-express');
    expect(diffNorm(x5.data, q.data)).toBeLessThan(0.16 * frob(q));
    expect(diffNorm(x8.data, q.data)).toBeLessThan(1e-4 * frob(q));
    for (const v of singularValues(x5)) expect(Math.abs(v - 1)).toBeLessThan(0.16);
  });

  it('quintic is farther from U·Vᵀ than Polar Express on the same input (both far from 0)', () => {
    const g = wellConditioned(12, 20, 77, 50);
    const q = polarFactor(g);
    const eq = diffNorm(newtonSchulz64(g, 5, 'quintic').data, q.data) / frob(q);
    const ep = diffNorm(newtonSchulz64(g, 5, 'polar-express').data, q.data) / frob(q);
    expect(ep).toBeLessThan(eq);
    expect(eq).toBeLessThan(0.35);
  });
});

it('exercises both code paths: the fused kernel (default reference backend) and core\'s primitive fallback', () => {
  expect(backends[0]!.backend.fused?.newtonSchulz).toBeTypeOf('function');
  expect(backends[1]!.backend.fused?.newtonSchulz).toBeUndefined();
});

describe.each(backends)('orthogonalize on $label vs float64 Newton–Schulz', ({ backend }) => {
  for (const method of ['quintic', 'polar-express'] as const) {
    it.each([1, 2, 3, 4, 5, 6, 7])(`${method}, %i steps, every shape: ‖ref − NS64‖_F ≤ 1e-4·‖NS64‖_F`, (steps) => {
      for (const [m, n] of SHAPES) {
        const g = f32Matrix(m, n, gaussian(m * n, 1000 * steps + 10 * m + n, 0.3));
        const want = newtonSchulz64(g, steps, method);
        const got = runOrthogonalize(backend, g, method, steps);
        expect(allFinite(got)).toBe(true);
        expect(diffNorm(got, want.data), `${m}×${n}`).toBeLessThanOrEqual(1e-4 * frob(want) + 1e-6);
      }
    });
  }

  it.each(SHAPES)('quintic, well-conditioned %i×%i: Uᵀ·NS(g)·V is diagonal with entries in the quintic band', (m, n) => {
    const g = wellConditioned(m, n, 17 * m + n);
    const got = mat(m, n, runOrthogonalize(backend, g, 'quintic', 5));
    const { u, v } = svd(g);
    const core = matmul(matmul(transpose(u), got), v);
    const k = Math.min(m, n);
    let off = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i === j) {
          expect(at(core, i, i)).toBeGreaterThan(0.66);
          expect(at(core, i, i)).toBeLessThan(1.16);
        } else off += at(core, i, j) ** 2;
      }
    }
    expect(Math.sqrt(off)).toBeLessThan(1e-4 * Math.sqrt(k));
  });

  it.each(SHAPES)('zero %i×%i matrix → zeros, no NaN (both methods)', (m, n) => {
    for (const method of ['quintic', 'polar-express'] as const) {
      const got = runOrthogonalize(backend, mat(m, n), method, 5);
      expect(Array.from(got)).toEqual(new Array(m * n).fill(0));
    }
  });

  it('is scale-invariant up to the pre-normalization eps, from 1e-3 to the largest float32 magnitudes', () => {
    const g = f32Matrix(6, 9, gaussian(54, 4242));
    for (const method of ['quintic', 'polar-express'] as const) {
      const base = runOrthogonalize(backend, g, method, 5);
      expectClose(base, newtonSchulz64(g, 5, method).data, 1e-4, 0, `${method}, c = 1 vs NS64`);
      // Huge but finite gradients: the normalization divides by max|g| before squaring, so the
      // sum of squares cannot overflow (before, ‖g‖² became Inf for |g| ≳ 1e19 and the result was 0).
      for (const c of [0.25, 8, 1e3, 1e19, 1e25, 1e30, 1e36]) {
        const scaledG = f32Matrix(6, 9, g.data.map((v) => v * c));
        const got = runOrthogonalize(backend, scaledG, method, 5);
        expect(allFinite(got)).toBe(true);
        expectClose(got, base, 1e-4, 0, `${method}, c = ${c}`);
      }
    }
    // At c = 1e-3 the eps 1e-7 is 1.5e-4 of ‖c·g‖_F·1.01 and Polar Express amplifies small singular
    // values ~1000×: invariance visibly breaks, in the float64 oracle too. The backend follows the oracle.
    const tiny = f32Matrix(6, 9, g.data.map((v) => v * 1e-3));
    const want = newtonSchulz64(tiny, 5, 'polar-express');
    expectClose(runOrthogonalize(backend, tiny, 'polar-express', 5), want.data, 1e-4, 0, 'c = 1e-3 vs NS64');
  });

  it('Polar Express converges: singular values within 2e-2 of 1 at 8 steps and 5e-3 at 12 (normalized σ in [1e-3, 1])', () => {
    for (const [m, n] of [
      [16, 24],
      [24, 16],
      [12, 12],
    ] as const) {
      const g = spreadSpectrum(m, n, 31 * m + n);
      for (const [steps, bound] of [
        [8, 2e-2],
        [12, 5e-3],
      ] as const) {
        const got = mat(m, n, runOrthogonalize(backend, g, 'polar-express', steps));
        for (const v of singularValues(got)) expect(Math.abs(v - 1), `${m}×${n}, ${steps} steps`).toBeLessThanOrEqual(bound);
      }
    }
  });
});

/**
 * A matrix whose singular values, once normalized as Polar Express does (σ / (‖g‖_F·1.01)), spread
 * geometrically over [1e-3, 0.6]: the range the method is designed for.
 */
function spreadSpectrum(rows: number, cols: number, seed: number): M64 {
  const k = Math.min(rows, cols);
  const y = Array.from({ length: k }, (_, i) => 0.6 * (1e-3 / 0.6) ** (i / (k - 1)));
  const sumSq = y.reduce((s, v) => s + v * v, 0);
  // σ = c·y with ‖σ‖ = c·√sumSq; normalized σ = c·y / (c·√sumSq·1.01) = y / (√sumSq·1.01).
  const norm = Math.sqrt(sumSq) * 1.01;
  const normalized = y.map((v) => v / norm);
  expect(Math.min(...normalized)).toBeGreaterThanOrEqual(1e-3);
  expect(Math.max(...normalized)).toBeLessThanOrEqual(1);
  return f32Matrix(rows, cols, withSingularValues(rows, cols, y, seed).data);
}

describe('Polar Express in float64, from the library\'s plan: converges to the polar factor', () => {
  it('σ of X after 8 steps within 2e-2 of 1, after 12 within 5e-3, on normalized σ ∈ [1e-3, 1]', () => {
    for (const [m, n] of [
      [20, 30],
      [30, 20],
    ] as const) {
      // Normalized singular values exactly on a geometric grid over [1e-3, 1]: X₀ = U·diag(x)·Vᵀ.
      const k = Math.min(m, n);
      const x0 = Array.from({ length: k }, (_, i) => 10 ** (-3 * (i / (k - 1))));
      const X0 = withSingularValues(m, n, x0, 7 * m + n);
      for (const [steps, bound] of [
        [8, 2e-2],
        [12, 5e-3],
      ] as const) {
        let X = X0;
        const tall = m > n;
        if (tall) X = transpose(X);
        for (const [a, b, c] of orthogonalizationPlan('polar-express', steps).coefficients) {
          const A = matmul(X, transpose(X));
          const AA = matmul(A, A);
          const B = mat(A.rows, A.cols, A.data.map((v, i) => b * v + c * AA.data[i]!));
          const BX = matmul(B, X);
          X = mat(X.rows, X.cols, X.data.map((v, i) => a * v + BX.data[i]!));
        }
        if (tall) X = transpose(X);
        const worst = Math.max(...singularValues(X).map((v) => Math.abs(v - 1)));
        expect(worst, `${m}×${n}, ${steps} steps`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('the quintic does not converge: its singular values stay in a band that does not shrink with more steps', () => {
    const lo = 1e-2;
    for (const steps of [5, 8, 12]) {
      let worst = 0;
      for (let i = 0; i <= 400; i++) worst = Math.max(worst, Math.abs(scalarIteration(lo * (1 / lo) ** (i / 400), steps, 'quintic') - 1));
      expect(worst, `${steps} steps`).toBeGreaterThan(0.2);
    }
  });
});
