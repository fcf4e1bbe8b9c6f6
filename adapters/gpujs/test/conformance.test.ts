/** The core conformance suite (`@lmo/core/testing`) in every gpu.js mode that works here. */
import { describe, it } from 'vitest';
import { describeBackendConformance } from '@lmo/core/testing/vitest';
import { createGpujsBackend } from '../src/index.js';
import { modes } from './modes.js';

const cases = await modes();

for (const c of cases) {
  if (!c.available) {
    describe(`backend conformance: gpujs-${c.mode}`, () => {
      it.skip(`skipped: ${c.reason}`, () => {});
    });
    continue;
  }
  describeBackendConformance(`gpujs-${c.mode}`, () => createGpujsBackend(c.options), {
    // emulated GPU modes compile a shader per (op, shape): give them room
    timeout: c.mode === 'cpu' || c.mode === 'webasm' ? 30_000 : 120_000,
  });
}
