import { Random } from '@lmo/core';
import type { CharDataset } from '../data/char-dataset.js';
import type { GptSession } from '../model.js';

/**
 * Generates text like nanoGPT's `sample.py`: start from a newline, temperature 0.8, context cropped
 * to the block size, one token at a time, seeded.
 */
export async function sampleText<T>(
  model: GptSession<T>,
  data: CharDataset,
  tokens: number,
  seed: number,
  temperature = 0.8,
): Promise<string> {
  const rng = new Random(seed);
  const start = data.chars.includes('\n') ? data.encode('\n') : [0];
  const ids = [...start];
  const block = model.config.blockSize;
  const probs = new Float64Array(data.vocabSize);
  for (let i = 0; i < tokens; i++) {
    const ctx = Int32Array.from(ids.slice(-block));
    const logits = await model.lastLogits(ctx);
    let max = -Infinity;
    for (const z of logits) if (z > max) max = z;
    let sum = 0;
    for (let v = 0; v < logits.length; v++) sum += probs[v] = Math.exp((logits[v]! - max) / temperature);
    let u = rng.uniform() * sum;
    let next = logits.length - 1;
    for (let v = 0; v < logits.length; v++) {
      u -= probs[v]!;
      if (u < 0) {
        next = v;
        break;
      }
    }
    ids.push(next);
  }
  return data.decode(ids.slice(start.length));
}
