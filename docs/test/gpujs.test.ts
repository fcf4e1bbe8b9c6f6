import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('examples/gpujs-device-values.ts', () => {
  it('a gpu.js kernel of your own computes the gradients: W approaches the target', async () => {
    const { module, printed } = await runExample(() => import('../examples/gpujs-device-values.js'));
    const d = module.distances;
    expect(d).toHaveLength(21);
    expect(d.every(Number.isFinite)).toBe(true);
    // ‖T‖ to start with (W = 0), computed here from T's definition
    expect(d[0]).toBeCloseTo(Math.hypot(...Array.from({ length: 128 }, (_, i) => Math.fround(Math.sin(i)))), 5);
    expect(d[20]!).toBeLessThan(d[0]! * 0.5);
    expect(printed[0]).toMatch(/^own kernel: ‖W − T‖ from \d+\.\d{3} to \d+\.\d{3} in 20 Muon steps$/);
  });
});
