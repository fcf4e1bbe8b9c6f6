import { LmoError, Random, scion, sign } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';
import { describe, expect, it, vi } from 'vitest';
import { demo } from '../examples/checkpointing-usage.js';
import { loadOptimizer, saveOptimizer } from '../examples/checkpointing.js';

describe('examples/checkpointing*.ts', () => {
  it('a restored optimizer continues exactly like the original', async () => {
    const rng = new Random(3);
    const grad = () => ({ w: backend.fromArray(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]) });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const { original, resumed } = await demo([grad(), grad()]);
    expect(log).toHaveBeenCalledWith(1);
    log.mockRestore();
    expect(Array.from(resumed.data)).toEqual(Array.from(original.data));
  });

  it('loading into a differently shaped optimizer raises STATE_MISMATCH', async () => {
    const a = scion(backend, { w: backend.fromArray(new Float32Array(12), [3, 4]) }, { lr: 0.1 });
    const b = scion(backend, { w: backend.fromArray(new Float32Array(12), [4, 3]) }, { lr: 0.1, norm: sign() });
    const saved = await saveOptimizer(a);
    await expect(loadOptimizer(b, saved)).rejects.toSatisfy((e: unknown) => e instanceof LmoError && e.code === 'STATE_MISMATCH');
  });
});
