import type { TensorBackend } from '@lmo/core';
import type { ParamMap, StepOptimizer } from '../model.js';

/** An optimizer that keeps a copy of every gradient it is given (see {@link recording}). */
export interface RecordingOptimizer<T> extends StepOptimizer<T> {
  /** The gradients of each step so far, by parameter name (copies, read before the step used them). */
  readonly grads: Array<Map<string, Float32Array>>;
}

/**
 * `inner` (by default one that changes nothing) with every step's gradients read back first: for
 * comparing models gradient by gradient. It keeps no gradient buffers of its own, so the model hands
 * it fresh gradients every step — also with ScionLight inside, which adds them into its buffers
 * within the step.
 */
export function recording<T>(tensors: TensorBackend<T>, inner: StepOptimizer<T> = { step() {}, dispose() {} }): RecordingOptimizer<T> {
  const grads: Array<Map<string, Float32Array>> = [];
  return {
    grads,
    async step(g?: ParamMap<T>) {
      if (g === undefined) throw new Error('recording(): step() needs the gradients');
      const copy = new Map<string, Float32Array>();
      for (const [name, t] of g) copy.set(name, Float32Array.from(await tensors.read(t)));
      grads.push(copy);
      await inner.step(g);
    },
    dispose: () => inner.dispose(),
  };
}
