/** The optimizer of the parity problem, the same on the adapter under test and on the reference. */
import { scion, scionLight, type ExecutionMode, type LmoOptimizer, type TensorBackend } from '@lmo/core';
import { LR, MOMENTUM, groups, schedule, type StorageRun } from './problem.js';

/** Scion in float32, or ScionLight with G stored in `storage.dtype` (and its compensation). */
export function optimizerFor<T, M extends ExecutionMode>(b: TensorBackend<T, M>, params: ReadonlyMap<string, T>, storage?: StorageRun): LmoOptimizer<T, M> {
  const options = { lr: LR, momentum: MOMENTUM, schedule: schedule(), groups: groups() };
  if (storage === undefined) return scion(b, params, options);
  return scionLight(b, params, { ...options, bufferDtype: storage.dtype, ...(storage.compensation ? { compensation: storage.compensation } : {}) });
}
