import { describe, expect, it } from 'vitest';
import { trainWithOwnKernel } from '../examples/gpujs-device-values.js';

describe('examples/gpujs-device-values.ts', () => {
  it('a gpu.js kernel of your own computes the gradients: W approaches the target', async () => {
    const distances = await trainWithOwnKernel(20);
    expect(distances.every(Number.isFinite)).toBe(true);
    expect(distances[distances.length - 1]!).toBeLessThan(distances[0]! * 0.5);
  });
});
