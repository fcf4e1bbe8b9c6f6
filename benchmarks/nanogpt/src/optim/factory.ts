import {
  muon,
  normalizedSGD,
  stateFromJSON,
  stateToJSON,
  scion,
  scionLight,
  signSGD,
  unconstrainedScion,
  warmupCosine,
  type LmoOptimizer,
  type Schedule,
  type TensorBackend,
} from '@lmo/core';
import type { ParamMap } from '../model/backend.js';
import { AdamW } from './adamw.js';
import { readBuffers, writeBuffers } from './buffers.js';
import { scionGroups } from './groups.js';
import type { TrainOptimizer } from './types.js';

/** Optimizers the benchmark knows, with the learning rate each starts from. */
export const OPTIMIZERS = {
  adamw: { lr: 1e-3, about: 'AdamW as nanoGPT (β 0.9/0.99, wd 0.1 on 2-D, clip 1.0)' },
  scion: { lr: 2 ** -8, about: 'Scion (SCG, constrained), the nanoGPT groups of scionGroups()' },
  uscion: { lr: 2 ** -8, about: 'unconstrained Scion (uSCG), same groups' },
  scionlight: { lr: 2 ** -8, about: 'ScionLight (no momentum buffer), same groups' },
  muon: { lr: 0.02, about: "core's muon preset (spectral, scale max(1,√(out/in)), momentum 0.05)" },
  signsgd: { lr: 3e-4, about: "core's signSGD preset (no momentum)" },
  nsgd: { lr: 0.05, about: "core's normalized SGD preset (per-tensor Frobenius, no momentum)" },
} as const;

export type OptimizerName = keyof typeof OPTIMIZERS;

export function isOptimizerName(s: string): s is OptimizerName {
  return Object.hasOwn(OPTIMIZERS, s);
}

/** nanoGPT's schedule: warmup 100 (`(t+1)/(warmup+1)`), cosine to lr/10 at the last iteration. */
export function nanoGptSchedule(iters: number, warmup = 100): Schedule {
  return warmupCosine({ warmup: Math.min(warmup, iters), decaySteps: iters, final: 0.1 });
}

/** Builds optimizer `name` over `params` on `backend` with base `lr` and the nanoGPT schedule. */
export function createTrainOptimizer<T>(
  name: OptimizerName,
  backend: TensorBackend<T>,
  params: ParamMap<T>,
  lr: number,
  schedule: Schedule,
): TrainOptimizer<T> {
  if (name === 'adamw') return new AdamW(backend, params, { lr, schedule });
  const opts = { lr, schedule, nonFinite: 'ignore' as const };
  switch (name) {
    case 'scion':
      return wrap(name, scion(backend, params, { ...opts, groups: scionGroups() }));
    case 'uscion':
      return wrap(name, unconstrainedScion(backend, params, { ...opts, groups: scionGroups() }));
    case 'scionlight': {
      const accumulators = new Map([...params].map(([k, p]) => [k, backend.zerosLike(p)]));
      const opt = scionLight(backend, params, { ...opts, groups: scionGroups() });
      return wrap(name, opt, accumulators, backend);
    }
    case 'muon':
      return wrap(name, muon(backend, params, opts));
    case 'signsgd':
      return wrap(name, signSGD(backend, params, opts));
    case 'nsgd':
      return wrap(name, normalizedSGD(backend, params, opts));
  }
}

function wrap<T>(
  name: string,
  opt: LmoOptimizer<T>,
  accumulators?: Map<string, T>,
  backend?: TensorBackend<T>,
): TrainOptimizer<T> {
  const first = opt.parameters[0]!.name;
  return {
    name,
    currentLr: () => opt.learningRate(first),
    step: (grads) => opt.step(grads),
    ...(accumulators ? { accumulators } : {}),
    // core's versioned state (JSON-safe through stateToJSON); ScionLight's gradient buffers beside it
    async saveState() {
      const state = stateToJSON(await opt.getState());
      return accumulators && backend ? { state, accumulators: await readBuffers(backend, accumulators) } : { state };
    },
    async loadState(saved: unknown) {
      const s = saved as { state?: unknown; accumulators?: Record<string, Float32Array> } | null;
      if (s === null || typeof s !== 'object' || s.state === undefined) throw new Error(`${name}: the saved state has no optimizer state`);
      if (accumulators && backend && s.accumulators === undefined) throw new Error(`${name}: the saved state has no gradient buffers`);
      await opt.loadState(stateFromJSON(s.state as Parameters<typeof stateFromJSON>[0]));
      if (accumulators && backend) await writeBuffers(backend, accumulators, s.accumulators!, `${name} gradient buffers`);
    },
    dispose: () => {
      opt.dispose();
      if (accumulators && backend) for (const a of accumulators.values()) backend.dispose(a);
    },
  };
}
