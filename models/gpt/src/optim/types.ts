import type { MaybePromise } from '@lmo/core/backend';
import type { ParamMap } from '../model.js';

/** What the trainer needs from an optimizer: one update from the current gradients. */
export interface TrainOptimizer<T> {
  /** Display name, e.g. `"scion"`, `"adamw"`. */
  readonly name: string;
  /** Learning rate the next step will use (base lr × schedule), for the logs. */
  currentLr(): number;
  /**
   * ScionLight's gradient buffers: when present, the backward pass accumulates into them
   * (`model.lossAndGrads(params, batch, gradients)`) and `step()` takes no gradients.
   */
  readonly gradients?: ParamMap<T>;
  /** One update of the parameters it was built on (from `grads`, or from `gradients`). */
  step(grads?: ParamMap<T>): MaybePromise<void>;
  /** Bytes of the state the optimizer allocated (momentum, moments, ScionLight's gradient buffers). */
  readonly ownedBytes: number;
  /** Everything the next steps depend on (buffers, step count), for a checkpoint. */
  saveState(): Promise<unknown>;
  /** Restores what {@link saveState} returned, into an optimizer built the same way. */
  loadState(state: unknown): Promise<void>;
  dispose(): void;
}
