import { charDataset } from '../../src/data/char-dataset.js';
import type { GPTConfig } from '../../src/config.js';

/** A small corpus for the model parity tests (a few lines of the play, repeated). */
export const tinyData = charDataset('First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(20));

/** A tiny GPT over {@link tinyData}'s vocabulary. */
export function tinyConfig(blockSize: number, nEmbd: number): GPTConfig {
  return { vocabSize: tinyData.vocabSize, blockSize, nLayer: 2, nHead: 2, nEmbd };
}
