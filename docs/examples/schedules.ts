import { constant, cosineDecay, linearDecay, linearWarmup, product, sequence, warmupCosine, warmupStableDecay, type Schedule } from '@lmo/core';

// nanoGPT's schedule: warmup (t + 1)/(warmup + 1) for 100 steps, then a half cosine down to 0.1 at step 2000.
export const nanoGPT: Schedule = warmupCosine({ warmup: 100, decaySteps: 2000, final: 0.1 });

// Warmup–stable–decay: 100 warmup steps, constant, then linear to 0 over the last 1000 of 10000 steps.
export const wsd: Schedule = warmupStableDecay({ warmup: 100, total: 10_000, decay: 1000 });

// The same shape built from parts: sequence() runs each part for its length, the last one forever.
export const wsdByHand: Schedule = sequence([linearWarmup(100), 100], [constant(1), 8900], linearDecay(1000));

// product() multiplies schedules pointwise; any (step) => factor function is a schedule too.
export const halfCosine: Schedule = product(constant(0.5), cosineDecay(1000));
export const stepDecay: Schedule = (t) => (t < 5000 ? 1 : 0.1);
