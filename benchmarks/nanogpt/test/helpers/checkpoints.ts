import { charDataset, type GPTConfig, readBuffers, OPTIMIZERS, type OptimizerName, disposeOutcome, trainWith } from '@lmo/gpt';
import { createModel } from '@lmo/gpt/node';
import type { Checkpoint } from '../../src/run/checkpoint.js';
import { createHash } from 'node:crypto';

export const TEXT = 'to be or not to be, that is the question\n'.repeat(40);

const sha256 = (v: string): string => createHash('sha256').update(v).digest('hex');

/** A real checkpoint: `optimizer` trained `iters` steps on the reference backend (a model of `config`'s shape). */
export async function trainedCheckpoint(optimizer: OptimizerName, shape: Omit<GPTConfig, 'vocabSize'>, iters = 2, batchSize = 2): Promise<Checkpoint> {
  const data = charDataset(TEXT);
  const config = { ...shape, vocabSize: data.vocabSize };
  const model = await createModel('reference', config);
  try {
    const settings = { iters, batchSize, evalEvery: iters, evalIters: 1, seed: 7 };
    const out = await trainWith(model, data, optimizer, undefined, settings);
    try {
      return {
        optimizer, backend: model.name, lr: OPTIMIZERS[optimizer].lr, seed: 7, iters, config, batch_size: batchSize, eval_every: iters, eval_iters: 1, dtype: 'float32', compensation: 'none',
        data: { sha256: sha256(TEXT), vocab_sha256: sha256(JSON.stringify(data.chars)), bytes: Buffer.byteLength(TEXT) }, step: iters, finished: false, evals: out.result.evals, timing: out.result.timing,
        weights: await readBuffers(model.tensors, out.training.params), optimizer_state: await out.training.optimizer.saveState(),
      };
    } finally {
      await disposeOutcome(out);
    }
  } finally {
    await model.dispose();
  }
}

/** A checkpoint as the benchmark wrote it before its checkpoints were core's: JSON, float32 arrays as `{ "$f32": base64 }`, no checksums. */
export function encodeVersion1(c: Checkpoint): string {
  const { eval_every: _e, eval_iters: _i, data: _d, ...rest } = c;
  delete (rest as { file?: string }).file;
  return JSON.stringify({ format: 'lmo-nanogpt-checkpoint', version: 1, ...rest }, (_key, value: unknown) =>
    value instanceof Float32Array ? { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : value,
  );
}
