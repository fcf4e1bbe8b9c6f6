// The README's example, kept runnable.
import { expect, it } from 'vitest';
import { scion, spectral, biasRMS, warmupCosine } from '@lmo/core';
import { onnxBackend } from '../src/index.js';

it('README example', async () => {
  const backend = onnxBackend({ executionProviders: ['cpu'], intraOpNumThreads: 2 });

  const params = {
    'fc.weight': backend.fromArray(new Float32Array(64 * 32).map(() => Math.random() - 0.5), [64, 32]),
    'ln.weight': backend.fromArray(new Float32Array(32).fill(1), [32]),
  };
  const opt = scion(backend, params, {
    lr: 2 ** -8,
    schedule: warmupCosine({ warmup: 100, decaySteps: 2000, final: 0.1 }),
    groups: [
      { match: 'fc.*', norm: spectral(), scale: 3 },
      { match: 'ln.*', norm: biasRMS(), scale: 3 },
    ],
  });

  for (let it = 0; it < 10; it++) {
    const grads = {
      'fc.weight': backend.fromArray(new Float32Array(64 * 32).map(() => Math.random() - 0.5), [64, 32]),
      'ln.weight': backend.fromArray(new Float32Array(32).map(() => Math.random() - 0.5), [32]),
    };
    await opt.step(grads);
  }

  const ln = await backend.read(params['ln.weight']);
  expect(ln).toHaveLength(32);
  expect(await backend.allFinite([params['fc.weight'], params['ln.weight']])).toBe(true);
  expect(backend.stats.sessionsCreated).toBe(1);
  await backend.close();
});
