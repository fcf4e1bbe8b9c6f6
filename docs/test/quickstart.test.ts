import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('examples/quickstart.ts', () => {
  it('fits a linear target: the loss falls by over an order of magnitude, and it says so', async () => {
    const { module, printed } = await runExample(() => import('../examples/quickstart.js'));
    const { losses } = module;
    expect(losses).toHaveLength(200);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[199]!).toBeLessThan(losses[0]! / 10);
    expect(printed).toEqual([`loss ${losses[0]!.toFixed(4)} → ${losses[199]!.toFixed(4)} after 200 Scion steps`]);
  });
});
