import { stateFromJSON, stateToJSON, type LmoOptimizer } from '@lmo/core';

/**
 * Saves an optimizer's state as a JSON string. `getState()` returns a Promise on asynchronous
 * backends (onnxruntime) and a plain value on synchronous ones; `await` handles both.
 */
export async function saveOptimizer<T>(optimizer: LmoOptimizer<T>): Promise<string> {
  const state = await optimizer.getState(); // { format, version, step, skippedSteps, parameters }
  return JSON.stringify(stateToJSON(state)); // Float32Array buffers → plain number arrays
}

/**
 * Restores a state saved by {@link saveOptimizer} into an optimizer built the same way (same
 * parameter names, shapes and groups). Throws a STATE_MISMATCH LmoError, changing nothing, otherwise.
 */
export async function loadOptimizer<T>(optimizer: LmoOptimizer<T>, json: string): Promise<void> {
  await optimizer.loadState(stateFromJSON(JSON.parse(json)));
}
