import { Random, spectral } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';

// Per-norm choice of schedule and steps:
export const hidden = spectral(); // quintic, 5 steps (the default)
export const precise = spectral({ method: 'polar-express', steps: 8 });

// A norm's LMO runs on its own too: for a [d_out, d_in] gradient g = UΣVᵀ, spectral's is s·UVᵀ with
// s = √(d_out/d_in) (the 2-D tensor is the parameter's matrix view; its shape is the parameter's).
const rng = new Random(0);
const [dOut, dIn] = [32, 64];
const g = backend.fromArray(Float32Array.from({ length: dOut * dIn }, () => rng.normal()), [dOut, dIn]);
const u = precise.lmo(backend, g, [dOut, dIn]);

/** (UVᵀ)(UVᵀ)ᵀ = u·uᵀ / s², which is close to the identity (for a wide matrix). */
export const gram = backend.read(backend.scale(backend.matmul(u, u, { transposeB: true }), dIn / dOut));
