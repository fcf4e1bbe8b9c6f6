import { Random, spectral } from '@lmo/core';
import { orthogonalizationPlan, orthogonalize } from '@lmo/core/backend';
import { referenceBackend as backend } from '@lmo/core/reference';

// Per-norm choice of schedule and steps:
export const hidden = spectral(); // quintic, 5 steps (the default)
export const precise = spectral({ method: 'polar-express', steps: 8 });

// Or run a plan directly on 2-D tensors (a batch of one shape), from @lmo/core/backend.
const rng = new Random(0);
const g = backend.fromArray(Float32Array.from({ length: 32 * 64 }, () => rng.normal()), [32, 64]);
export const [x] = orthogonalize(backend, [g], orthogonalizationPlan('polar-express', 8));

/** X·Xᵀ, which is close to the identity when X is close to UVᵀ (for a wide X). */
export const gram = backend.read(backend.matmul(x!, x!, { transposeB: true }));
