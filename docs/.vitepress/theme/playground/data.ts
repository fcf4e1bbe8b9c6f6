/**
 * Character-level data: the vocabulary (the sorted set of the corpus's characters), encoding,
 * a 90/10 train/validation split, and batches of random windows with targets shifted by one.
 */
import { Random } from '@lmo/core';

/** A corpus, tokenised one character per token. */
export class CharData {
  /** The sorted distinct characters; a token is an index into this list. */
  readonly vocab: readonly string[];
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly #index: ReadonlyMap<string, number>;

  /** `trainFraction` of the text (from the start) is for training, the rest for validation. */
  constructor(text: string, trainFraction = 0.9) {
    if (text.length < 2) throw new Error(`the corpus must have at least 2 characters, got ${text.length}`);
    if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`trainFraction must be in (0, 1), got ${trainFraction}`);
    this.vocab = [...new Set(text)].sort();
    this.#index = new Map(this.vocab.map((c, i) => [c, i]));
    const tokens = this.encode(text);
    const cut = Math.floor(tokens.length * trainFraction);
    this.train = tokens.slice(0, cut);
    this.val = tokens.slice(cut);
  }

  /** Tokens of `text`; throws on a character outside the vocabulary. */
  encode(text: string): Int32Array {
    return Int32Array.from(text, (c) => {
      const t = this.#index.get(c);
      if (t === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return t;
    });
  }

  decode(tokens: ArrayLike<number>): string {
    return Array.from(tokens, (t) => this.vocab[t] ?? '').join('');
  }
}

/** `batch` windows of `block` tokens (`x`) and the same windows shifted by one (`y`), row-major. */
export interface Batch {
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly batch: number;
  readonly block: number;
}

/** Draws batches from `tokens` with a seeded generator: the same seed gives the same batches. */
export class BatchSampler {
  readonly #rng: Random;
  constructor(
    private readonly tokens: Int32Array,
    private readonly batch: number,
    private readonly block: number,
    seed: number,
  ) {
    if (tokens.length <= block) throw new Error(`need more than block = ${block} tokens, got ${tokens.length}`);
    this.#rng = new Random(seed);
  }

  next(): Batch {
    const { batch, block, tokens } = this;
    const x = new Int32Array(batch * block);
    const y = new Int32Array(batch * block);
    for (let b = 0; b < batch; b++) {
      const start = this.#rng.int(tokens.length - block);
      x.set(tokens.subarray(start, start + block), b * block);
      y.set(tokens.subarray(start + 1, start + block + 1), b * block);
    }
    return { x, y, batch, block };
  }
}
