import { createReferenceBackend, referenceBackend } from '../src/reference/index.js';
import { describeBackendConformance } from '../src/testing/index.js';

describeBackendConformance('reference', () => referenceBackend);

// The same backend seen through an asynchronous facade (as a lazily evaluating engine would be):
// read, run and allFinite return promises.
describeBackendConformance('reference (async facade)', async () => {
  const b = createReferenceBackend({ name: 'reference-async' });
  return {
    ...b,
    read: async (x) => b.read(x),
    allFinite: async (xs) => b.allFinite(xs),
    run: async (fn) => {
      await Promise.resolve();
      await b.run(fn);
    },
  };
});

// Without the fused kernel (core's primitive fallback path is then the one exercised).
describeBackendConformance('reference (no fused kernels)', () => createReferenceBackend({ fusedNewtonSchulz: false }), {
  skip: { 'data.copies': 'demonstrates options.skip (covered by the first suite)' },
});
