import type { Batch } from '../data/batch.js';
import { paramSpecs, sizeOf, type GPTConfig } from '../config.js';
import { backward } from './backward.js';
import { forwardLogits, forwardLoss, type ParamArrays } from './forward.js';
import type { FloatArray, FloatArrayConstructor } from './kernels/types.js';
import { Workspace } from './workspace.js';

/**
 * nanoGPT's GPT over plain typed arrays, forward and backward written by hand. Buffers are
 * allocated once per batch size; a step allocates nothing.
 */
export class ReferenceGPT {
  private readonly workspaces = new Map<number, Workspace>();
  /** Gradient buffers by parameter name (overwritten by each {@link lossAndGrads}). */
  readonly grads: Map<string, FloatArray>;

  constructor(
    readonly cfg: GPTConfig,
    readonly ctor: FloatArrayConstructor = Float32Array,
  ) {
    this.grads = new Map(paramSpecs(cfg).map((s) => [s.name, new ctor(sizeOf(s.shape))]));
  }

  private workspace(batchSize: number): Workspace {
    let ws = this.workspaces.get(batchSize);
    if (ws === undefined) {
      ws = new Workspace(this.cfg, batchSize, this.ctor);
      this.workspaces.set(batchSize, ws);
    }
    return ws;
  }

  /** Mean cross-entropy of the batch. */
  loss(params: ParamArrays, batch: Batch): number {
    this.checkBatch(batch);
    return forwardLoss(params, batch.x, batch.y, batch.batchSize, this.workspace(batch.batchSize), false);
  }

  /** Loss and gradients (in {@link grads}). */
  lossAndGrads(params: ParamArrays, batch: Batch): number {
    this.checkBatch(batch);
    const ws = this.workspace(batch.batchSize);
    const loss = forwardLoss(params, batch.x, batch.y, batch.batchSize, ws, true);
    backward(params, this.grads, batch.x, batch.batchSize, ws);
    return loss;
  }

  /** Logits `[rows·T, V]` for `T ≤ block size` tokens per row (a view into the workspace). */
  logits(params: ParamArrays, x: Int32Array, rows: number, T: number): FloatArray {
    const ws = this.workspace(rows);
    forwardLogits(params, x, rows, T, ws);
    return ws.logits.subarray(0, rows * T * this.cfg.vocabSize);
  }

  private checkBatch(batch: Batch): void {
    if (batch.blockSize !== this.cfg.blockSize) {
      throw new RangeError(`batch block size ${batch.blockSize} != model block size ${this.cfg.blockSize}`);
    }
  }
}
