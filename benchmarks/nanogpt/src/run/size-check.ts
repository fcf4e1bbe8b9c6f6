import { constants } from 'node:buffer';
import { totalmem } from 'node:os';
import { paramCount, type GPTConfig } from '../model/config.js';
import { UsageError } from '../util/errors.js';

const GiB = 1024 ** 3;

/**
 * The float32 memory a training step of this model and batch needs, in bytes, as the backends lay
 * it out (an estimate from above): per layer the activations kept for the backward pass — about 22
 * values per token and channel, and the attention probabilities, B·H·T² — plus the logits and
 * their gradient (2·B·T·V), backward scratch, and weights, gradients and two optimizer buffers.
 * `largest` is the biggest single buffer.
 */
export function stepMemory(cfg: GPTConfig, batch: number): { bytes: number; largest: number } {
  const { nLayer: L, nHead: H, nEmbd: C, blockSize: T, vocabSize: V } = cfg;
  const N = batch * T;
  const attention = batch * H * T * T;
  const floats = L * (22 * N * C + 2 * attention) + 2 * N * V + 12 * N * C + 4 * paramCount(cfg);
  return { bytes: 4 * floats, largest: 4 * Math.max(attention, N * V, N * 4 * C) };
}

/**
 * Refuses, in one line and before anything is allocated, a block or batch size that cannot fit:
 * more than 3/4 of the machine's memory, or a buffer larger than one typed array may be.
 */
export function checkFits(cfg: GPTConfig, batch: number, memory = totalmem()): void {
  const { bytes, largest } = stepMemory(cfg, batch);
  const fmt = (b: number): string => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / 1024 ** 2).toFixed(0)} MiB`);
  const what = `--block-size ${cfg.blockSize} with --batch-size ${batch} (and ${cfg.nLayer} layers × ${cfg.nHead} heads × ${cfg.nEmbd} wide, vocabulary ${cfg.vocabSize})`;
  if (largest > Math.min(constants.MAX_LENGTH, 2 ** 31 - 1)) {
    throw new UsageError(`${what} needs a single ${fmt(largest)} buffer, more than one array can hold: use a smaller --block-size or --batch-size`);
  }
  if (!Number.isFinite(bytes) || bytes > 0.75 * memory) {
    throw new UsageError(`${what} needs about ${fmt(bytes)} for a training step; this machine has ${fmt(memory)}: use a smaller --block-size or --batch-size`);
  }
}
