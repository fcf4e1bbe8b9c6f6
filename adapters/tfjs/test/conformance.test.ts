import { describe, it } from 'vitest';
import { describeBackendConformance } from '@lmo/core/testing/vitest';
import { createTfjsBackend } from '../src/index.js';
import { ENGINES, WEBGPU_SKIP_REASON, useEngine } from './helpers/engines.js';

// Backends are global in tfjs: each suite activates its engine before creating the binding, and
// vitest runs the describe blocks of a file one after the other.
for (const engine of ENGINES) {
  describeBackendConformance(`tfjs-${engine}`, async () => {
    await useEngine(engine);
    return createTfjsBackend();
  });
  describeBackendConformance(`tfjs-${engine} (no fused kernels, tfjs transpose flags)`, async () => {
    await useEngine(engine);
    return createTfjsBackend({ fusedNewtonSchulz: false, materializeTransposes: false });
  });
}

describe('backend conformance: tfjs-webgpu', () => {
  it.skip(`not run: ${WEBGPU_SKIP_REASON}`, () => {});
});
