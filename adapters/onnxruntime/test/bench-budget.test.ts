/** bench/budget.ts: the memory budget's parsing, and the search for the largest model within it. */
import { describe, expect, it } from 'vitest';
import { formatBytes, largestFitting, parseBytes } from '../bench/budget.js';

describe('parseBytes', () => {
  it('reads binary and decimal units, in any case, with a fraction or a space', () => {
    expect(parseBytes('512MiB')).toBe(512 * 1024 * 1024);
    expect(parseBytes('1GiB')).toBe(1024 ** 3);
    expect(parseBytes('1.5 gib')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('768MB')).toBe(768_000_000);
    expect(parseBytes('2kb')).toBe(2000);
    expect(parseBytes('64KiB')).toBe(65536);
    expect(parseBytes('4096B')).toBe(4096);
  });

  it('refuses a bare number, an unknown unit, nonsense and sizes under a byte, naming the option and the units', () => {
    expect(() => parseBytes('512')).toThrow(/--budget "512" has no unit; expected a size with its unit, e\.g\. 512MiB/);
    expect(() => parseBytes('512M')).toThrow(/unknown unit "M".*units: B, kB, MB, GB, KiB, MiB, GiB/);
    expect(() => parseBytes('512 MiBs')).toThrow(/unknown unit "MiBs"/);
    expect(() => parseBytes('lots', '--limit')).toThrow(/--limit "lots" is not a size/);
    expect(() => parseBytes('-1GiB')).toThrow(/is not a size/);
    expect(() => parseBytes('0MiB')).toThrow(/under one byte/);
  });

  it('formats sizes in the largest binary unit they reach', () => {
    expect(formatBytes(512 * 2 ** 20)).toBe('512 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
    expect(formatBytes(1000)).toBe('1000 B');
  });
});

describe('largestFitting', () => {
  /** The search over "k fits when k ≤ answer", recording the ks it tried. */
  async function search(answer: number, max: number): Promise<{ found: number; tried: number[] }> {
    const tried: number[] = [];
    const found = await largestFitting(async (k) => (tried.push(k), k <= answer), max);
    return { found, tried };
  }

  it('finds the largest k that fits, for every answer from none to max, never trying a k twice or past max', async () => {
    for (const max of [1, 2, 7, 64]) {
      for (let answer = 0; answer <= max + 2; answer++) {
        const { found, tried } = await search(answer, max);
        expect(found, `answer ${answer}, max ${max}`).toBe(Math.min(answer, max));
        expect(new Set(tried).size).toBe(tried.length);
        expect(Math.max(...tried)).toBeLessThanOrEqual(max);
        expect(tried.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(max + 1)) + 1);
      }
    }
  });

  it('doubles, then halves the interval: 1, 2, 4, 8, then 6, 7 for an answer of 6', async () => {
    expect((await search(6, 64)).tried).toEqual([1, 2, 4, 8, 6, 7]);
  });

  it('refuses a max that is not a positive integer', async () => {
    await expect(largestFitting(async () => true, 0)).rejects.toThrow(/max must be a positive integer/);
  });
});
