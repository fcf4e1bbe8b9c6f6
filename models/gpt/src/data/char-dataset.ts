import { Random } from '@lmo/core';
import { UsageError } from '../errors.js';
import type { Batch } from './batch.js';

/** A character-level corpus: vocabulary = sorted set of its characters; 90% train, 10% val. */
export interface CharDataset {
  readonly chars: readonly string[];
  readonly vocabSize: number;
  readonly train: Uint8Array | Uint16Array | Uint32Array;
  readonly val: Uint8Array | Uint16Array | Uint32Array;
  encode(s: string): number[];
  decode(ids: ArrayLike<number>): string;
}

/** Builds the dataset the way nanoGPT's `shakespeare_char/prepare.py` does. */
export function charDataset(text: string): CharDataset {
  if (text.length === 0) throw new UsageError('data file is empty');
  const chars = [...new Set(text)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map<string, number>();
  chars.forEach((c, i) => index.set(c, i));
  const points = [...text];
  // Token ids as narrow as the vocabulary allows (a corpus may have more than 65,536 characters).
  const ids = chars.length <= 256 ? new Uint8Array(points.length) : chars.length <= 65536 ? new Uint16Array(points.length) : new Uint32Array(points.length);
  for (let i = 0; i < points.length; i++) ids[i] = index.get(points[i]!)!;
  const n = Math.floor(0.9 * ids.length);
  return {
    chars,
    vocabSize: chars.length,
    train: ids.subarray(0, n),
    val: ids.subarray(n),
    encode: (s) => [...s].map((c) => {
      const id = index.get(c);
      if (id === undefined) throw new RangeError(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return id;
    }),
    decode: (t) => Array.from(t, (i) => chars[i] ?? '?').join(''),
  };
}

/**
 * Draws batches like nanoGPT's `get_batch`: `batchSize` uniform offsets, `blockSize` tokens each,
 * targets shifted by one. Deterministic for a seed; the buffers are reused between calls.
 */
export class BatchSampler {
  private readonly rng: Random;
  private readonly x: Int32Array;
  private readonly y: Int32Array;

  constructor(
    private readonly data: ArrayLike<number>,
    readonly batchSize: number,
    readonly blockSize: number,
    seed: number,
    what = 'split',
  ) {
    if (data.length < blockSize + 1) {
      throw new UsageError(
        `block size ${blockSize} is larger than the ${what} data (${data.length} tokens): use a smaller --block-size or more data`,
      );
    }
    this.rng = new Random(seed);
    this.x = new Int32Array(batchSize * blockSize);
    this.y = new Int32Array(batchSize * blockSize);
  }

  /** Draws and discards `n` batches: the stream then continues as if they had been taken. */
  skip(n: number): void {
    const span = this.data.length - this.blockSize;
    for (let i = 0; i < n * this.batchSize; i++) this.rng.int(span);
  }

  /** The next batch (its arrays are overwritten by the following call). */
  next(): Batch {
    const { data, blockSize: T } = this;
    const span = data.length - T;
    for (let b = 0; b < this.batchSize; b++) {
      const o = this.rng.int(span);
      for (let t = 0; t < T; t++) {
        this.x[b * T + t] = data[o + t]!;
        this.y[b * T + t] = data[o + t + 1]!;
      }
    }
    return { x: this.x, y: this.y, batchSize: this.batchSize, blockSize: T };
  }
}
