import { constants } from 'node:buffer';
import { totalmem } from 'node:os';
import { paramCount, type GPTConfig } from '../config.js';
import { UsageError } from '../errors.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/**
 * How a backend's peak resident memory grows, in bytes per byte of each quantity (float32 values,
 * 4 bytes each), fitted to the peaks measured by the nanoGPT benchmark's `scripts/memory.sh`
 * (`benchmarks/nanogpt/results/memory-peaks.jsonl`, which its tests check this against):
 *
 * peak ≈ base + 4·(layerAttention·L·B·H·T² + attention·B·H·T² + activations·L·B·T·C + logits·B·T·V + params·P)
 *
 * with L layers, H heads, width C, context T, batch B, vocabulary V and P parameters: the attention
 * probabilities each layer keeps for the backward pass, the scratch of one layer's attention (its
 * scores, softmax and their gradients), the activations kept per layer and token, the logits and
 * their gradient, and what scales with the parameters — weights, gradients, the optimizer's buffers
 * and the checkpoint written at the end (its copies of all of these).
 */
interface MemoryModel {
  readonly base: number;
  readonly layerAttention: number;
  readonly attention: number;
  readonly activations: number;
  readonly logits: number;
  readonly params: number;
}

const MEMORY: Readonly<Record<'onnxruntime' | 'reference' | 'tfjs', MemoryModel>> = {
  // onnxruntime's training session (createOnnxTrainer: forward and built gradients in one graph) keeps several B·H·T² buffers per layer for the backward pass
  onnxruntime: { base: 199 * MiB, layerAttention: 5.85, attention: 3.95, activations: 103, logits: 8.25, params: 15.7 },
  reference: { base: 120 * MiB, layerAttention: 0.92, attention: 0.11, activations: 25.8, logits: 1.09, params: 11.5 },
  // tfjs keeps every intermediate tensor of the step on its tape (fitted on tfjs-wasm and tfjs-cpu)
  tfjs: { base: 181 * MiB, layerAttention: 8.2, attention: 0, activations: 110, logits: 7.4, params: 13.3 },
};

/** The model of `backend`'s memory: measured for onnxruntime, the reference and tfjs; for the others the largest of each term. */
function memoryModel(backend: string): MemoryModel {
  if (backend === 'onnxruntime' || backend === 'reference') return MEMORY[backend];
  if (backend.startsWith('tfjs-')) return MEMORY.tfjs;
  const all = Object.values(MEMORY);
  const max = (k: keyof MemoryModel): number => Math.max(...all.map((m) => m[k]));
  return { base: max('base'), layerAttention: max('layerAttention'), attention: max('attention'), activations: max('activations'), logits: max('logits'), params: max('params') };
}

/**
 * The peak resident memory of training this model with this batch on `backend` (bytes, an estimate
 * within about 1.5× of what the process measures), and the biggest single buffer it allocates.
 */
export function stepMemory(cfg: GPTConfig, batch: number, backend = 'onnxruntime'): { bytes: number; largest: number } {
  const { nLayer: L, nHead: H, nEmbd: C, blockSize: T, vocabSize: V } = cfg;
  const m = memoryModel(backend);
  const N = batch * T;
  const attention = batch * H * T * T;
  const floats = m.layerAttention * L * attention + m.attention * attention + m.activations * L * N * C + m.logits * N * V + m.params * paramCount(cfg);
  return { bytes: m.base + 4 * floats, largest: 4 * Math.max(attention, N * V, N * 4 * C) };
}

/**
 * Refuses, in one line and before anything is allocated, a block or batch size that cannot fit:
 * more than 3/4 of the machine's memory, or a buffer larger than one typed array may be.
 */
export function checkFits(cfg: GPTConfig, batch: number, backend = 'onnxruntime', memory = totalmem()): void {
  const { bytes, largest } = stepMemory(cfg, batch, backend);
  const fmt = (b: number): string => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / MiB).toFixed(0)} MiB`);
  const what = `--block-size ${cfg.blockSize} with --batch-size ${batch} (and ${cfg.nLayer} layers × ${cfg.nHead} heads × ${cfg.nEmbd} wide, vocabulary ${cfg.vocabSize})`;
  if (largest > Math.min(constants.MAX_LENGTH, 2 ** 31 - 1)) {
    throw new UsageError(`${what} needs a single ${fmt(largest)} buffer, more than one array can hold: use a smaller --block-size or --batch-size`);
  }
  if (!Number.isFinite(bytes) || bytes > 0.75 * memory) {
    throw new UsageError(`${what} needs about ${fmt(bytes)} for a training step on ${backend}; this machine has ${fmt(memory)}: use a smaller --block-size or --batch-size`);
  }
}
