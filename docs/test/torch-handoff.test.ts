import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('examples/torch-handoff.ts', () => {
  it('writes a bundle, reads it back, and the resumed run takes the same step', async () => {
    const { module, printed } = await runExample(() => import('../examples/torch-handoff.js'));
    expect(module.identical).toBe(true);
    expect(printed).toEqual(['resumed at step 10', 'the resumed run took the same step']);
  });
});
