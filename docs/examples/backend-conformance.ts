// my-backend.conformance.test.ts — run it with vitest like any other test file.
import { createReferenceBackend } from '@lmo/core/reference';
import { describeBackendConformance } from '@lmo/core/testing/vitest';
import { countingBackend } from './counting-backend.js';

describeBackendConformance('counting(reference)', () => countingBackend(createReferenceBackend()).backend, {
  // Defaults: elementwise 1e-5, reduction 1e-5, matmul 1e-4, newtonSchulz 1e-4 (see ConformanceOptions).
  tolerance: { matmul: 1e-4 },
  // Skip a check (or a group, by prefix) only with a reason; it shows in the test name.
  // skip: { 'reduce.nan': 'the engine’s max ignores NaN' },
});
