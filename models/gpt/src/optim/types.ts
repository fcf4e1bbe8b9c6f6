import type { StepOptimizer } from '../model.js';

/** What the trainer needs from an optimizer: its steps, its learning rate and its state. */
export interface TrainOptimizer<T> extends StepOptimizer<T> {
  /** Display name, e.g. `"scion"`, `"adamw"`. */
  readonly name: string;
  /** Learning rate the next step will use (base lr × schedule), for the logs. */
  currentLr(): number;
  /** Wall time spent in {@link StepOptimizer.step} so far, in milliseconds (the optimizer's share of a training step). */
  readonly stepMs: number;
  /** Bytes of the state the optimizer allocated (momentum, moments, ScionLight's gradient buffers). */
  readonly ownedBytes: number;
  /** Everything the next steps depend on (buffers, step count), for a checkpoint. */
  saveState(): Promise<unknown>;
  /** Restores what {@link saveState} returned, into an optimizer built the same way. */
  loadState(state: unknown): Promise<void>;
}
