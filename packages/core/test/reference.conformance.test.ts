import { createReferenceBackend, referenceBackend } from '../src/reference/index.js';
import { describeBackendConformance } from '../src/testing/vitest.js';
import { asyncBackend } from './helpers/backend.js';

describeBackendConformance('reference', () => referenceBackend);

// The same arithmetic behind core's DeferredExecution (as a compiling engine would be): runs and
// reads are queued in call order and resolve later; the async-only checks (call order) run too.
describeBackendConformance('reference (asynchronous, on DeferredExecution)', () => asyncBackend(createReferenceBackend({ name: 'reference-async' })).backend);

// Without the fused kernel (core's primitive fallback path is then the one exercised).
describeBackendConformance('reference (no fused kernels)', () => createReferenceBackend({ fusedNewtonSchulz: false }), {
  skip: { 'data.copies': 'demonstrates options.skip (covered by the first suite)' },
});
