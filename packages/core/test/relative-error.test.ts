import { describe, expect, it } from 'vitest';
import { relativeError } from '../src/testing/index.js';

describe('relativeError (@lmo/core/testing)', () => {
  it('is the largest difference over the largest reference magnitude', () => {
    // differences 0, 0.5, 1; largest |expected| = 4  →  1 / 4
    expect(relativeError([1, 2.5, -3], [1, 2, -4])).toBe(0.25);
    expect(relativeError(Float32Array.of(3), Float32Array.of(3))).toBe(0);
    // the scale is the reference's, not the actual's
    expect(relativeError([100, 0], [1, 0])).toBe(99);
  });

  it('is the absolute difference against an all-zero reference', () => {
    expect(relativeError([0, 1e-3, -2e-3], [0, 0, 0])).toBe(2e-3);
    expect(relativeError([], [])).toBe(0);
  });

  it('never lets NaN, ±Inf or a length mismatch pass', () => {
    expect(relativeError([NaN, 1], [1, 1])).toBe(Infinity);
    expect(relativeError([1, 1], [1, NaN])).toBe(Infinity);
    expect(relativeError([Infinity], [1])).toBe(Infinity);
    expect(relativeError([Infinity], [Infinity])).toBe(Infinity);
    expect(relativeError([1, 2], [1, 2, 3])).toBe(Infinity);
  });
});
