import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmoError, Random, decodeCheckpoint, encodeCheckpoint, scionLight } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';

const shapes: Record<string, number[]> = { 'fc.weight': [8, 4], 'fc.bias': [8] };
const rng = new Random(7);
const random = (shape: number[]) => backend.fromArray(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.normal()), shape);
const params = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]));
const optimizer = scionLight(backend, params, { lr: 0.01 });
for (let step = 0; step < 5; step++) optimizer.step(Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]))); // your gradients

// One file: the weights, the optimizer's state, and your own metadata, each part checksummed.
const weights = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, backend.read(p)]));
const bytes = encodeCheckpoint({ weights, state: optimizer.getState(), metadata: { run: { seed: 7 }, losses: [3.2, 2.9] } });
const file = join(mkdtempSync(join(tmpdir(), 'checkpoint-')), 'checkpoint.safetensors');
writeFileSync(file, bytes);

// Later: read it back (every checksum is checked first), rebuild the model and the optimizer.
const back = decodeCheckpoint(readFileSync(file));
const resumedParams = Object.fromEntries([...back.weights].map(([name, values]) => [name, backend.fromArray(values, shapes[name]!)]));
const resumed = scionLight(backend, resumedParams, { lr: 0.01 });
resumed.loadState(back.state);
console.log(`resumed at step ${resumed.stepCount}, losses ${JSON.stringify(back.metadata['losses'])}`);

const next = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, random(shape)]));
optimizer.step(next);
resumed.step(next);
export const identical = Object.keys(shapes).every((name) => backend.read(params[name]!).every((v, i) => v === backend.read(resumedParams[name]!)[i]));
console.log(identical ? 'the resumed run took the same step' : 'the runs differ');

// Any damage is refused, naming what: here one flipped bit in the last tensor (an optimizer buffer).
const damaged = Uint8Array.from(bytes);
damaged[damaged.length - 1]! ^= 1;
try {
  decodeCheckpoint(damaged);
} catch (e) {
  if (!(e instanceof LmoError)) throw e;
  console.log(`${e.code}: ${e.message}`);
}
