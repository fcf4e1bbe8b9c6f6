import { Random, scion } from '@lmo/core';
import { referenceBackend as backend } from '@lmo/core/reference';
import { loadOptimizer, saveOptimizer } from './checkpointing.js';

const rng = new Random(3);
const gradient = () => ({ w: backend.fromArray(Float32Array.from({ length: 12 }, () => rng.normal()), [3, 4]) });

const weights = { w: backend.fromArray(new Float32Array(12), [3, 4]) };
const optimizer = scion(backend, weights, { lr: 0.01 });
optimizer.init(0);
await optimizer.step(gradient());

// Checkpoint: the optimizer state AND the weights (the optimizer does not own the weights).
const savedState = await saveOptimizer(optimizer);
const savedWeights = Array.from(await backend.read(weights.w));

// Later, perhaps in another process: rebuild the same model and optimizer, then restore both.
const resumedWeights = { w: backend.fromArray(Float32Array.from(savedWeights), [3, 4]) };
const resumed = scion(backend, resumedWeights, { lr: 0.01 });
await loadOptimizer(resumed, savedState);
console.log(`resumed at step ${resumed.stepCount}`); // 1: schedules continue where they left off

// Both now take identical steps.
const next = gradient();
await optimizer.step(next);
await resumed.step(next);
export const identical = weights.w.data.every((v, i) => v === resumedWeights.w.data[i]);
console.log(identical ? 'the resumed optimizer took the same step' : 'the runs differ');
