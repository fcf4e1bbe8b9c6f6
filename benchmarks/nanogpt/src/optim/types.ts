import type { MaybePromise } from '@lmo/core';
import type { ParamMap } from '../model/backend.js';

/** What the trainer needs from an optimizer: one update from the current gradients. */
export interface TrainOptimizer<T> {
  /** Display name, e.g. `"scion"`, `"adamw"`. */
  readonly name: string;
  /** Learning rate the next step will use (base lr × schedule), for the logs. */
  currentLr(): number;
  /** One update of the parameters it was built on. */
  step(grads: ParamMap<T>): MaybePromise<void>;
  /**
   * ScionLight keeps its momentum in persistent gradient buffers that the backward pass must add
   * into: when present, the trainer hands `step` these buffers after adding the fresh gradients.
   */
  readonly accumulators?: ParamMap<T>;
  /** Everything the next steps depend on (buffers, step count), for a checkpoint. */
  saveState(): Promise<unknown>;
  /** Restores what {@link saveState} returned, into an optimizer built the same way. */
  loadState(state: unknown): Promise<void>;
  dispose(): void;
}
