import { LmoError, scion, sign } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';
import { describe, expect, it } from 'vitest';
import { loadOptimizer, saveOptimizer } from '../examples/checkpointing.js';
import { runExample } from './run-example.js';

describe('examples/checkpointing*.ts', () => {
  it('a restored optimizer continues exactly like the original', async () => {
    const { module, printed } = await runExample(() => import('../examples/checkpointing-usage.js'));
    expect(module.identical).toBe(true);
    expect(printed).toEqual(['resumed at step 1', 'the resumed optimizer took the same step']);
  });

  it('loading into a differently shaped optimizer raises STATE_MISMATCH', async () => {
    const a = scion(backend, { w: backend.fromArray(new Float32Array(12), [3, 4]) }, { lr: 0.1 });
    const b = scion(backend, { w: backend.fromArray(new Float32Array(12), [4, 3]) }, { lr: 0.1, norm: sign() });
    const saved = await saveOptimizer(a);
    await expect(loadOptimizer(b, saved)).rejects.toSatisfy((e: unknown) => e instanceof LmoError && e.code === 'STATE_MISMATCH');
  });
});
