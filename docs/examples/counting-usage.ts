import { Random, scion, spectral } from '@lmo/core';
import { createReferenceBackend } from '@lmo/core/reference';
import { countingBackend } from './counting-backend.js';

// How many primitives does one Scion step on a 64×128 matrix issue without a fused kernel?
const { backend, counts } = countingBackend(createReferenceBackend({ fusedNewtonSchulz: false }));
const rng = new Random(0);
const w = backend.fromArray(Float32Array.from({ length: 64 * 128 }, () => rng.normal()), [64, 128]);
const optimizer = scion(backend, { w }, { lr: 0.01, norm: spectral({ steps: 5 }) });
counts.clear();
optimizer.step({ w: backend.fromArray(Float32Array.from({ length: 64 * 128 }, () => rng.normal()), [64, 128]) });
export const opsPerStep = Object.fromEntries(counts);
console.log(JSON.stringify(opsPerStep));
// → {"fromArray":1,"run":1,"axpby":12,"maxAbs":1,"addScalar":2,"div":3,"scale":3,"sumSquares":1,"sqrt":1,"add":1,"matmul":15,"assign":2}
// (the NaN/Inf guard is checked inside the backend's run, not through a counted allFinite)
