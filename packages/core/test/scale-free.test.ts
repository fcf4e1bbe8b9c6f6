/**
 * Huge but finite gradients: every LMO gives the direction of the same gradient scaled down to
 * ordinary magnitudes. (Squaring first overflows float32 from |g| ≈ 1.8e19 on, and the LMOs that
 * normalize by a sum of squares then returned zeros.)
 */
import { describe, expect, it } from 'vitest';
import { auto, biasRMS, colNorm, frobenius, muonNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';
import type { Norm } from '../src/norms/norm.js';
import { backends, runLmo } from './oracle/harness.js';
import { gaussian } from './oracle/matrix.js';

const CASES: Array<[string, () => Norm, number[]]> = [
  ['sign', () => sign(), [5, 7]],
  ['signUnscaled', () => signUnscaled(), [3, 4]],
  ['spectral', () => spectral(), [6, 9]],
  ['spectral (Polar Express)', () => spectral({ method: 'polar-express', steps: 8 }), [9, 6]],
  ['spectralConv', () => spectralConv(), [4, 2, 3]],
  ['colNorm', () => colNorm(), [6, 5]],
  ['colNorm (transposed, normalized)', () => colNorm({ transpose: true, normalized: true }), [6, 5]],
  ['rowNorm', () => rowNorm(), [6, 5]],
  ['biasRMS', () => biasRMS(), [11]],
  ['biasRMS (scalar)', () => biasRMS(), []],
  ['frobenius', () => frobenius(), [2, 3, 2]],
  ['auto', () => auto(), [4, 4]],
  ['muon', () => muonNorm(), [3, 8]],
  ['transposed(rowNorm)', () => transposed(rowNorm()), [5, 4]],
];

describe.each(backends)('scale-free LMOs on $label', ({ backend }) => {
  it.each(CASES)('%s: lmo(c·g) = lmo(g) for c up to the float32 range', (_label, make, shape) => {
    const norm = make();
    const size = shape.reduce((a, d) => a * d, 1);
    const g = Float32Array.from(gaussian(size, 7 + size));
    const maxAbs = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const base = runLmo(norm, g, shape, backend).values;
    expect(base.some((v) => v !== 0)).toBe(true);
    for (const k of [20, 63, 64, 80, 100, 120]) {
      const c = 2 ** k;
      if (maxAbs * c >= 3.4e38) continue;
      // Powers of two scale float32 values exactly: the input is the same direction, bit for bit.
      const got = runLmo(norm, g.map((v) => v * c), shape, backend).values;
      for (let i = 0; i < size; i++) {
        expect(Number.isFinite(got[i]!), `c = 2^${k}, [${i}]`).toBe(true);
        expect(Math.abs(got[i]! - base[i]!), `c = 2^${k}, [${i}]: ${got[i]} vs ${base[i]}`).toBeLessThanOrEqual(1e-5 * Math.max(1e-3, Math.abs(base[i]!)) + 1e-6);
      }
    }
    // The largest float32 magnitudes, all of them at once.
    const extreme = g.map((v) => Math.sign(v) * 3.4e38);
    const u = runLmo(norm, extreme, shape, backend).values;
    expect(u.every(Number.isFinite)).toBe(true);
    expect(u.some((v) => v !== 0)).toBe(true);
  });
});
