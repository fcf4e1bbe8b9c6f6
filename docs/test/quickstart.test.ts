import { Random } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { train } from '../examples/quickstart.js';

describe('examples/quickstart.ts', () => {
  it('fits a linear target: the loss falls by over an order of magnitude', () => {
    const rng = new Random(1);
    const batch = 32;
    const x = Float32Array.from({ length: batch * 8 }, () => rng.normal());
    // A random target layer, small enough to lie inside the radius-3 spectral ball.
    const wStar = Float32Array.from({ length: 4 * 8 }, () => 0.3 * rng.normal());
    const target = new Float32Array(batch * 4);
    for (let n = 0; n < batch; n++)
      for (let i = 0; i < 4; i++) {
        let y = 0.1 * (i - 1.5);
        for (let j = 0; j < 8; j++) y += wStar[i * 8 + j]! * x[n * 8 + j]!;
        target[n * 4 + i] = y;
      }
    const losses = train(x, target, batch, 200);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[199]!).toBeLessThan(losses[0]! / 10);
  });
});
