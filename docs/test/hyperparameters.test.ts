import { describe, expect, it } from 'vitest';
import { lrHead, lrHidden, optimizer } from '../examples/hyperparameters.js';
import { halfCosine, nanoGPT, stepDecay, wsd, wsdByHand } from '../examples/schedules.js';

describe('examples/schedules.ts', () => {
  it('nanoGPT warmup + cosine', () => {
    expect(nanoGPT(0)).toBeCloseTo(1 / 101, 12);
    expect(nanoGPT(99)).toBeCloseTo(100 / 101, 12);
    expect(nanoGPT(100)).toBeCloseTo(1, 12);
    expect(nanoGPT(1050)).toBeCloseTo(0.55, 12);
    expect(nanoGPT(2000)).toBeCloseTo(0.1, 12);
    expect(nanoGPT(5000)).toBeCloseTo(0.1, 12);
  });
  it('warmupStableDecay equals the hand-built sequence', () => {
    for (const t of [0, 50, 99, 100, 5000, 8999, 9000, 9500, 9999, 10_000, 20_000]) expect(wsd(t)).toBeCloseTo(wsdByHand(t), 12);
    expect(wsd(9500)).toBeCloseTo(0.5, 12);
    expect(wsd(10_000)).toBe(0);
  });
  it('product and plain functions', () => {
    expect(halfCosine(0)).toBeCloseTo(0.5, 12);
    expect(halfCosine(500)).toBeCloseTo(0.25, 12);
    expect(stepDecay(6000)).toBe(0.1);
  });
});

describe('examples/hyperparameters.ts', () => {
  it('group overrides and scheduled learning rates', () => {
    expect(lrHidden).toBeCloseTo(2 ** -8 / 101, 14);
    expect(lrHead).toBeCloseTo(2 ** -9 / 101, 14);
    expect(optimizer.parameters.map((p) => p.group)).toEqual(['embed', 'hidden', 'head']);
  });
});
