/** Every norm's init: on (or in) its unit ball, with the distribution's defining property, seeded. */
import { describe, expect, it } from 'vitest';
import type { Norm } from '../src/norms/norm.js';
import { auto, biasRMS, colNorm, frobenius, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';
import { Random } from '../src/random.js';
import { diffNorm, f64, frob, identity, mat, matmul, transpose } from './oracle/matrix.js';
import { colNormOracle, convScale64, frobeniusOracle, rowNormOracle, signOracle, sizeOfShape, spectralOracle, spectralScale64, type Shape } from './oracle/norms.js';
import { singularValues } from './oracle/svd.js';

const MATRIX_SHAPES: readonly (readonly [number, number])[] = [[1, 1], [1, 9], [9, 1], [6, 6], [12, 5], [5, 12], [24, 24]];

function init(norm: Norm, shape: Shape, seed: number): Float32Array {
  const w = norm.init(shape, new Random(seed));
  expect(w).toBeInstanceOf(Float32Array);
  expect(w.length).toBe(sizeOfShape(shape));
  expect(w.every((v) => Number.isFinite(v))).toBe(true);
  return w;
}

/** ℓ2 lengths of the columns (`'cols'`) or rows of a row-major matrix. */
function lengths(w: ArrayLike<number>, rows: number, cols: number, which: 'cols' | 'rows'): number[] {
  const out = new Array<number>(which === 'cols' ? cols : rows).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[which === 'cols' ? j : i]! += w[i * cols + j]! ** 2;
  return out.map(Math.sqrt);
}

function expectAll(values: readonly number[], target: number, rel: number, what: string): void {
  for (const [i, v] of values.entries()) {
    if (!(Math.abs(v - target) <= rel * Math.abs(target))) expect.fail(`${what}[${i}] = ${v}, expected ${target}`);
  }
}

/** Deterministic for a seed, different across seeds. */
function expectSeeded(norm: Norm, shape: Shape): void {
  const a = init(norm, shape, 42);
  const b = init(norm, shape, 42);
  const c = init(norm, shape, 43);
  expect(Array.from(a)).toEqual(Array.from(b));
  expect(diffNorm(a, c)).toBeGreaterThan(0);
}

describe('sign init', () => {
  it.each(MATRIX_SHAPES)('normalized %i×%i: every entry ±1/d_in, both signs, norm d_in·max|W| = 1', (m, n) => {
    const w = init(sign(), [m, n], 1);
    const v = Math.fround(1 / n);
    expect(w.every((x) => x === v || x === -v)).toBe(true);
    expect(signOracle(true).norm(f64(w), [m, n])).toBeCloseTo(1, 6);
    if (m * n >= 9) expect(new Set(w).size).toBe(2);
  });

  it('unnormalized: ±1; zeroInit: zeros; signUnscaled: ±1 of any shape', () => {
    expect(init(sign({ normalized: false }), [7, 5], 2).every((x) => x === 1 || x === -1)).toBe(true);
    expect(init(sign({ zeroInit: true }), [7, 5], 2).every((x) => x === 0)).toBe(true);
    expect(init(sign({ zeroInit: true, normalized: false }), [3, 3], 2).every((x) => x === 0)).toBe(true);
    for (const shape of [[], [5], [3, 4], [2, 3, 4]]) {
      expect(init(signUnscaled(), shape, 3).every((x) => x === 1 || x === -1)).toBe(true);
    }
  });

  it('is a fair coin: 4096 entries have 45–55% positives', () => {
    const w = init(sign(), [64, 64], 9);
    const pos = w.filter((x) => x > 0).length / w.length;
    expect(pos).toBeGreaterThan(0.45);
    expect(pos).toBeLessThan(0.55);
  });

  it('is seeded', () => {
    expectSeeded(sign(), [8, 8]);
    expectSeeded(signUnscaled(), [3, 4, 2]);
  });
});

describe('spectral init: s · (random orthogonal)', () => {
  const variants = [
    { normalized: true, max: false },
    { normalized: false, max: false },
    { normalized: true, max: true },
    { normalized: false, max: true },
  ];
  for (const o of variants) {
    it.each(MATRIX_SHAPES)(`${JSON.stringify(o)} %i×%i: all singular values = s (1e-5), so ‖W‖ = σ_max/s = 1`, (m, n) => {
      const w = init(spectral(o), [m, n], 5 + m + n);
      const s = spectralScale64(m, n, o.normalized, o.max);
      expectAll(Array.from(singularValues(mat(m, n, w))), s, 1e-5, 'σ');
      expect(spectralOracle(o).norm(f64(w), [m, n])).toBeCloseTo(1, 5);
    });
  }

  it('is not always the same orthogonal matrix up to sign: entries of a 24×24 init look Gaussian-ish (not ±const)', () => {
    const w = init(spectral(), [24, 24], 11);
    expect(new Set(Array.from(w, (x) => Math.abs(x))).size).toBeGreaterThan(500);
    // mean ≈ 0, variance ≈ s²/n = 1/24
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeCloseTo(1 / 24, 3);
  });

  it('is seeded', () => expectSeeded(spectral(), [6, 9]));
});

describe('colNorm / rowNorm init: Gaussian vectors rescaled to r = 1', () => {
  for (const normalized of [false, true]) {
    for (const transpose of [false, true]) {
      it.each(MATRIX_SHAPES)(`colNorm({ normalized: ${normalized}, transpose: ${transpose} }) %i×%i: every r_j = 1`, (m, n) => {
        const w = init(colNorm({ normalized, transpose }), [m, n], 3 * m + n);
        // r_j = ‖W_j‖₂ · (d_in if normalized) / √d_out, on W (or Wᵀ with transpose)
        const [dOut, dIn] = transpose ? [n, m] : [m, n];
        const r = lengths(w, m, n, transpose ? 'rows' : 'cols').map((l) => (l * (normalized ? dIn : 1)) / Math.sqrt(dOut));
        expectAll(r, 1, 1e-5, 'r');
        expect(colNormOracle(normalized, transpose).norm(f64(w), [m, n])).toBeCloseTo(1, 5);
      });

      it.each(MATRIX_SHAPES)(`rowNorm({ normalized: ${normalized}, transpose: ${transpose} }) %i×%i: every r_i = 1`, (m, n) => {
        const w = init(rowNorm({ normalized, transpose }), [m, n], 7 * m + n);
        const dIn = transpose ? m : n;
        const r = lengths(w, m, n, transpose ? 'cols' : 'rows').map((l) => l * (normalized ? Math.sqrt(dIn) : 1));
        expectAll(r, 1, 1e-5, 'r');
        expect(rowNormOracle(normalized, transpose).norm(f64(w), [m, n])).toBeCloseTo(1, 5);
      });
    }
  }

  it('directions are random (entries of one column are not all equal)', () => {
    const w = init(colNorm(), [16, 3], 4);
    expect(new Set(Array.from(w, (x) => Math.abs(x))).size).toBeGreaterThan(40);
  });

  it('is seeded', () => {
    expectSeeded(colNorm({ transpose: true }), [5, 7]);
    expectSeeded(rowNorm(), [5, 7]);
  });
});

describe('biasRMS, frobenius, auto, transposed inits', () => {
  it('biasRMS: zeros, for 0-D and 1-D', () => {
    for (const shape of [[], [1], [17]]) expect(init(biasRMS(), shape, 1).every((x) => x === 0)).toBe(true);
  });

  it.each([[[]], [[5]], [[4, 6]], [[2, 3, 4]], [[2, 2, 2, 2]]])('frobenius %j: ‖W‖_F = 1, seeded', (shape) => {
    const w = init(frobenius(), shape, 8);
    expect(frobeniusOracle().norm(f64(w), shape)).toBeCloseTo(1, 6);
    if (sizeOfShape(shape) > 1) expectSeeded(frobenius(), shape);
  });

  it('auto dispatches by rank: biasRMS zeros, spectral, spectralConv (same values for the same seed)', () => {
    expect(init(auto(), [], 1).every((x) => x === 0)).toBe(true);
    expect(init(auto(), [9], 1).every((x) => x === 0)).toBe(true);
    expect(Array.from(init(auto(), [4, 6], 1))).toEqual(Array.from(init(spectral(), [4, 6], 1)));
    expect(Array.from(init(auto(), [4, 3, 3], 1))).toEqual(Array.from(init(spectralConv(), [4, 3, 3], 1)));
    expect(Array.from(init(auto(), [4, 3, 2, 2], 1))).toEqual(Array.from(init(spectralConv(), [4, 3, 2, 2], 1)));
  });

  it.each(MATRIX_SHAPES)('transposed(colNorm) %i×%i: the transpose of the inner init, rows on r = 1', (m, n) => {
    const w = init(transposed(colNorm()), [m, n], 12);
    const inner = init(colNorm(), [n, m], 12);
    expect(Array.from(w)).toEqual(Array.from(transpose(mat(n, m, inner)).data, Math.fround));
    // applied to Wᵀ ([n, m], d_out = n): the columns of Wᵀ are the rows of W
    expectAll(lengths(w, m, n, 'rows').map((l) => l / Math.sqrt(n)), 1, 1e-5, 'r');
  });

  it('transposed(spectral) keeps singular values = the inner scale √(n/m)', () => {
    const w = init(transposed(spectral()), [4, 10], 2);
    expectAll(Array.from(singularValues(mat(4, 10, w))), Math.sqrt(10 / 4), 1e-5, 'σ');
  });
});

describe('spectralConv init: an orthogonal [out, in] matrix per tap, times √(out/in)/K', () => {
  const SHAPES: Shape[] = [[4, 3, 3], [3, 5, 2], [6, 6, 1], [4, 2, 3, 3], [2, 5, 2, 3], [1, 1, 1]];

  /** The [out, in] slice of tap `t` (kernel index flattened over the trailing dims). */
  function tap(w: Float32Array, shape: Shape, t: number): Float64Array {
    const [out, inp] = [shape[0]!, shape[1]!];
    const taps = sizeOfShape(shape.slice(2));
    const slice = new Float64Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) slice[o * inp + i] = w[(o * inp + i) * taps + t]!;
    return slice;
  }

  it.each(SHAPES.map((s) => [s]))('%j: every tap is orthogonal·scale (QᵀQ or QQᵀ = I within 1e-5)', (shape) => {
    const w = init(spectralConv(), shape, 21);
    const [out, inp] = [shape[0]!, shape[1]!];
    const s = convScale64(shape);
    const taps = sizeOfShape(shape.slice(2));
    const slices: Float64Array[] = [];
    for (let t = 0; t < taps; t++) {
      const q = mat(out, inp, tap(w, shape, t).map((v) => v / s));
      const gram = out >= inp ? matmul(transpose(q), q) : matmul(q, transpose(q));
      expect(diffNorm(gram.data, identity(Math.min(out, inp)).data), `tap ${t}`).toBeLessThan(1e-5);
      slices.push(q.data);
    }
    // taps are independent draws, not copies of one matrix
    for (let t = 1; t < taps; t++) expect(diffNorm(slices[t]!, slices[0]!)).toBeGreaterThan(0.1);
  });

  it('the scale: conv1d √(out/in)/k, conv2d √(out/in)/(kh·kw)', () => {
    expect(frob(init(spectralConv(), [4, 2, 3], 1))).toBeCloseTo((Math.sqrt(2) / 3) * Math.sqrt(2 * 3), 5);
    expect(frob(init(spectralConv(), [2, 8, 3, 3], 1))).toBeCloseTo((Math.sqrt(2 / 8) / 9) * Math.sqrt(2 * 9), 5);
  });

  it('documents: for out ≤ in the init has spectralConv norm √K (not ≤ 1), as the spec prescribes', () => {
    // [out, in·K] = s·[Q_1 … Q_K] (interleaved): W·Wᵀ = s²·Σ Q_t·Q_tᵀ = s²·K·I, so σ_max = s·√K.
    const shape = [4, 6, 3];
    const w = init(spectralConv(), shape, 2);
    const s = convScale64(shape);
    expectAll(Array.from(singularValues(mat(4, 18, w))), s * Math.sqrt(3), 1e-5, 'σ');
  });

  it('is seeded', () => expectSeeded(spectralConv(), [3, 2, 2, 2]));
});
