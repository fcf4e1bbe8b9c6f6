/**
 * No growth over 1,000 optimizer steps: device allocations (textures/buffers/arrays, counted by the
 * engine's own bookkeeping), live tensors and compiled kernels stay flat after the first step.
 */
import { describe, expect, it } from 'vitest';
import { biasRMS, colNorm, scion, sign, spectral } from '@lmo/core';
import { createGpujsBackend } from '../src/index.js';
import type { GpujsStats } from '../src/index.js';
import { FULL, modes } from './modes.js';

const cases = await modes();

for (const c of cases) {
  const STEPS = c.slow && !FULL ? 100 : 1000;
  describe.skipIf(!c.available)(`memory: gpujs ${c.mode}${c.available ? '' : ` (skipped: ${c.reason})`}`, () => {
    it(`live textures/buffers, tensors and kernels stay flat over ${STEPS} Scion steps`, async () => {
      const b = createGpujsBackend(c.options);
      const shapes: Record<string, number[]> = { wte: [12, 8], wpe: [6, 8], w: [16, 8], gain: [8] };
      const params = Object.fromEntries(
        Object.entries(shapes).map(([n, s]) => [n, b.fromArray(new Float32Array(s.reduce((p, d) => p * d, 1)).fill(0.01), s)]),
      );
      const grads = Object.fromEntries(
        Object.entries(shapes).map(([n, s], k) => [
          n,
          b.fromArray(Float32Array.from({ length: s.reduce((p, d) => p * d, 1) }, (_, i) => Math.sin(i + k)), s),
        ]),
      );
      const opt = scion(b, params, {
        lr: 0.01,
        groups: [
          { match: 'wte', norm: sign(), scale: 180 },
          { match: 'wpe', norm: colNorm({ transpose: true }), scale: 3 },
          { match: 'gain', norm: biasRMS(), scale: 3 },
          { norm: spectral(), scale: 3 },
        ],
      });
      await opt.step(grads);
      const first: GpujsStats = b.stats();
      const samples: GpujsStats[] = [];
      for (let s = 1; s < STEPS; s++) {
        await opt.step(grads);
        if (s % 250 === 0) samples.push(b.stats());
      }
      const last = b.stats();
      for (const s of [...samples, last]) {
        expect(s.liveValues).toBe(first.liveValues);
        expect(s.liveTensors).toBe(first.liveTensors);
        expect(s.kernels).toBe(first.kernels);
      }
      // parameters + gradients + momentum buffers, one allocation each
      expect(first.liveTensors).toBe(12);
      expect(first.liveValues).toBe(12);
      // every step really launched kernels (dozens per step)
      expect((last.launches - first.launches) / (STEPS - 1)).toBeGreaterThan(20);
      expect(opt.stepCount).toBe(STEPS);
      opt.dispose();
      for (const t of [...Object.values(params), ...Object.values(grads)]) b.dispose(t);
      expect(b.stats().liveValues).toBe(0);
      expect(b.stats().liveTensors).toBe(0);
      b.destroy();
    });
  });
}
