import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BatchSampler, charDataset } from '../src/data/char-dataset.js';

/** Tiny shakespeare beside the repository (where the benchmark looks for it too). */
const shared = fileURLToPath(new URL('../../../../shared/data/tinyshakespeare.txt', import.meta.url));

describe('character dataset', () => {
  it('sorts the vocabulary, splits 90/10 and round-trips text', () => {
    const d = charDataset('hello world, hello!');
    expect(d.chars).toEqual([' ', '!', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(d.train.length).toBe(Math.floor(0.9 * 19));
    expect(d.train.length + d.val.length).toBe(19);
    expect(d.decode([...d.train, ...d.val])).toBe('hello world, hello!');
    expect(d.decode(d.encode('hello'))).toBe('hello');
  });

  it.runIf(existsSync(shared))('has nanoGPT’s vocabulary of 65 on tiny shakespeare', () => {
    const d = charDataset(readFileSync(shared, 'utf8'));
    expect(d.vocabSize).toBe(65);
    expect(d.train.length + d.val.length).toBe(1115394);
    expect(d.train.length).toBe(1003854);
  });
});

describe('batches', () => {
  const d = charDataset('abcdefghijklmnopqrstuvwxyz'.repeat(10));
  it('are deterministic for a seed, targets shifted by one', () => {
    const a = new BatchSampler(d.train, 4, 8, 42);
    const b = new BatchSampler(d.train, 4, 8, 42);
    for (let k = 0; k < 3; k++) {
      const x = a.next();
      const y = b.next();
      expect([...x.x]).toEqual([...y.x]);
      expect([...x.y]).toEqual([...y.y]);
      for (let r = 0; r < 4; r++) {
        for (let t = 0; t < 7; t++) expect(x.y[r * 8 + t]).toBe(x.x[r * 8 + t + 1]);
        // consecutive letters: the target follows the input in the corpus
        expect((x.y[r * 8 + 7]! - x.x[r * 8 + 7]! + 26) % 26).toBe(1);
      }
    }
    const c = new BatchSampler(d.train, 4, 8, 43).next();
    expect([...c.x]).not.toEqual([...new BatchSampler(d.train, 4, 8, 42).next().x]);
  });

  it('refuse a block size larger than the split', () => {
    expect(() => new BatchSampler(d.val, 2, 64, 1, 'val')).toThrow(/block size 64 is larger than the val data/);
  });
});
