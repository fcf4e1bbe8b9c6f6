import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, biasRMS, decodeTorchHandoff, encodeTorchHandoff, scion, spectral, warmupCosine, type OptimizerOptions } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';

// A two-layer MLP under PyTorch's names, its matrices [d_out, d_in] as nn.Linear stores them.
const shapes: Record<string, number[]> = { 'fc1.weight': [16, 8], 'fc1.bias': [16], 'fc2.weight': [4, 16] };
const rng = new Random(1);
const random = (shape: number[]) => backend.fromArray(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => 0.1 * rng.normal()), shape);
const params = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]));

const options: OptimizerOptions = {
  lr: 2 ** -6,
  momentum: 0.1,
  schedule: warmupCosine({ warmup: 5, decaySteps: 100 }),
  groups: [
    { name: 'hidden', match: '*.weight', norm: spectral(), scale: 3 },
    { name: 'biases', match: '*.bias', norm: biasRMS(), scale: 1 },
  ],
};
const optimizer = scion(backend, params, options);
for (let step = 0; step < 10; step++) {
  optimizer.step(Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]))); // your gradients
}

// Hand the run to PyTorch: the weights and the optimizer state, as two safetensors files.
const weights = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, backend.read(p)]));
const bundle = encodeTorchHandoff({ weights, options, state: optimizer.getState() });
const dir = mkdtempSync(join(tmpdir(), 'handoff-'));
writeFileSync(join(dir, 'model.safetensors'), bundle.model);
writeFileSync(join(dir, 'optimizer.safetensors'), bundle.optimizer);

// Take it back (PyTorch writes the same two files), checked against the run's own options.
const back = decodeTorchHandoff({ model: readFileSync(join(dir, 'model.safetensors')), optimizer: readFileSync(join(dir, 'optimizer.safetensors')) }, options);
const resumedParams = Object.fromEntries([...back.weights].map(([name, values]) => [name, backend.fromArray(values, shapes[name]!)]));
const resumed = scion(backend, resumedParams, options);
resumed.loadState(back.state);
console.log(`resumed at step ${resumed.stepCount}`);

// Both take the same next step.
const next = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]));
optimizer.step(next);
resumed.step(next);
export const identical = Object.keys(shapes).every((name) => backend.read(params[name]!).every((v, i) => v === backend.read(resumedParams[name]!)[i]));
console.log(identical ? 'the resumed run took the same step' : 'the runs differ');
