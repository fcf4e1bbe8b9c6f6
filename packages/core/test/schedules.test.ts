/**
 * Learning-rate schedules against hand-computed values, boundaries included.
 */
import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { constant, cosineDecay, linearDecay, linearWarmup, product, sequence, warmupCosine, warmupStableDecay, type Schedule } from '../src/schedules/index.js';

function table(f: Schedule, ts: readonly number[]): number[] {
  return ts.map((t) => f(t));
}

function close(actual: readonly number[], expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a, `index ${i}`).toBeCloseTo(expected[i]!, 14));
}

function invalid(f: () => unknown, ...fragments: string[]): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LmoError);
    expect((e as LmoError).code).toBe('INVALID_HYPERPARAMETER');
    for (const s of fragments) expect((e as LmoError).message).toContain(s);
    return;
  }
  throw new Error('expected INVALID_HYPERPARAMETER');
}

describe('constant', () => {
  it('is 1 by default, else its value, at every step', () => {
    expect(table(constant(), [0, 1, 1e6])).toEqual([1, 1, 1]);
    expect(table(constant(0.25), [0, 7])).toEqual([0.25, 0.25]);
    expect(constant(0)(3)).toBe(0);
  });
});

describe('linearWarmup', () => {
  it('(t + 1)/(steps + 1) for t < steps, then 1', () => {
    close(table(linearWarmup(4), [0, 1, 2, 3, 4, 5, 100]), [1 / 5, 2 / 5, 3 / 5, 4 / 5, 1, 1, 1]);
  });
  it('0 steps is constant 1', () => {
    expect(table(linearWarmup(0), [0, 1])).toEqual([1, 1]);
  });
});

describe('linearDecay', () => {
  it('1 at t = 0, final at t = steps, linear between, final after', () => {
    close(table(linearDecay(4, 0.2), [0, 1, 2, 3, 4, 5, 50]), [1, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2]);
    close(table(linearDecay(10), [0, 5, 10, 11]), [1, 0.5, 0, 0]);
  });
});

describe('cosineDecay', () => {
  it('final + (1 − final)·½(1 + cos(πt/steps)), then final', () => {
    const f = cosineDecay(8, 0.1);
    close(table(f, [0, 2, 4, 6, 8, 9, 1000]), [
      1,
      0.1 + 0.9 * 0.5 * (1 + Math.SQRT1_2),
      0.55,
      0.1 + 0.9 * 0.5 * (1 - Math.SQRT1_2),
      0.1,
      0.1,
      0.1,
    ]);
    close(table(cosineDecay(2), [0, 1, 2]), [1, 0.5, 0]);
  });
  it('is monotone non-increasing', () => {
    const f = cosineDecay(37, 0.3);
    for (let t = 0; t < 60; t++) expect(f(t + 1)).toBeLessThanOrEqual(f(t));
  });
});

describe('sequence', () => {
  it('runs parts one after the other with local time; the last may be open-ended', () => {
    const f = sequence([linearWarmup(2), 2], [constant(0.5), 3], linearDecay(2, 0));
    close(table(f, [0, 1, 2, 3, 4, 5, 6, 7, 8]), [1 / 3, 2 / 3, 0.5, 0.5, 0.5, 1, 0.5, 0, 0]);
  });
  it('after a last part with a length, holds that part\'s value at its end', () => {
    const f = sequence([(t) => 10 + t, 2], [(t) => 20 + t, 3]);
    expect(table(f, [0, 1, 2, 3, 4, 5, 6, 99])).toEqual([10, 11, 20, 21, 22, 23, 23, 23]);
  });
  it('a part of length 0 is skipped', () => {
    const f = sequence([constant(9), 0], [constant(2), 1], constant(3));
    expect(table(f, [0, 1, 2])).toEqual([2, 3, 3]);
  });
});

describe('product', () => {
  it('multiplies pointwise; empty is 1', () => {
    close(table(product(linearWarmup(1), constant(0.5), linearDecay(4)), [0, 1, 2, 4]), [0.25 * 1, 0.5 * 0.75, 0.5 * 0.5, 0]);
    expect(product()(5)).toBe(1);
  });
});

describe('warmupStableDecay', () => {
  it('warmup, flat at 1, linear decay over the last `decay` steps to final at `total`', () => {
    const f = warmupStableDecay({ warmup: 2, total: 10, decay: 4, final: 0.2 });
    close(table(f, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 500]), [
      1 / 3,
      2 / 3,
      1,
      1,
      1,
      1,
      1, // t = total − decay: the decay starts at 1
      0.8,
      0.6,
      0.4,
      0.2, // t = total
      0.2,
      0.2,
    ]);
  });
  it('degenerate splits: no warmup, no stable phase, no decay', () => {
    close(table(warmupStableDecay({ warmup: 0, total: 4, decay: 4 }), [0, 1, 2, 3, 4, 5]), [1, 0.75, 0.5, 0.25, 0, 0]);
    close(table(warmupStableDecay({ warmup: 3, total: 3, decay: 0, final: 0.5 }), [0, 1, 2, 3, 4]), [0.25, 0.5, 0.75, 0.5, 0.5]);
  });
});

describe('warmupCosine (nanoGPT get_lr)', () => {
  // nanoGPT, as ratios of learning_rate (min_lr = final · lr):
  //   it < warmup_iters: (it + 1)/(warmup_iters + 1)
  //   it > lr_decay_iters: min_lr
  //   else min_lr + ½(1 + cos(π (it − warmup)/(decay − warmup)))·(1 − min_lr)
  function nanoGPT(it: number, warmup: number, decay: number, final: number): number {
    if (it < warmup) return (it + 1) / (warmup + 1);
    if (it > decay) return final;
    const ratio = (it - warmup) / (decay - warmup);
    return final + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (1 - final);
  }

  it('matches nanoGPT at every step, boundaries included', () => {
    const f = warmupCosine({ warmup: 5, decaySteps: 25 });
    for (let t = 0; t <= 40; t++) expect(f(t), `t = ${t}`).toBeCloseTo(nanoGPT(t, 5, 25, 0.1), 14);
    expect(f(4)).toBeCloseTo(5 / 6, 14); // last warmup step
    expect(f(5)).toBe(1); // first cosine step: the peak
    expect(f(15)).toBeCloseTo(0.55, 14); // midpoint
    expect(f(25)).toBeCloseTo(0.1, 14); // decaySteps
    expect(f(26)).toBe(0.1);
  });

  it('final is configurable; warmup 0 starts at 1', () => {
    const f = warmupCosine({ warmup: 0, decaySteps: 10, final: 0 });
    close(table(f, [0, 5, 10, 11]), [1, 0.5, 0, 0]);
  });
});

describe('invalid options throw INVALID_HYPERPARAMETER', () => {
  it('counts must be non-negative integers', () => {
    invalid(() => linearWarmup(-1), 'steps', '-1');
    invalid(() => linearWarmup(1.5), 'steps');
    invalid(() => linearWarmup(Number.NaN), 'steps');
    invalid(() => linearDecay(Infinity), 'steps');
    invalid(() => cosineDecay(-3), 'steps');
    invalid(() => sequence([constant(), -1], constant()), 'parts[0]');
    invalid(() => warmupStableDecay({ warmup: -1, total: 10, decay: 2 }), 'warmup');
    invalid(() => warmupStableDecay({ warmup: 1, total: 2.5, decay: 1 }), 'total');
    invalid(() => warmupStableDecay({ warmup: 1, total: 10, decay: Number.NaN }), 'decay');
    invalid(() => warmupCosine({ warmup: 0.5, decaySteps: 10 }), 'warmup');
    invalid(() => warmupCosine({ warmup: 1, decaySteps: -10 }), 'decaySteps');
  });

  it('factors must be finite and ≥ 0', () => {
    invalid(() => constant(-0.5), 'value');
    invalid(() => constant(Infinity), 'value');
    invalid(() => constant(Number.NaN), 'value');
    invalid(() => linearDecay(10, -0.1), 'final');
    invalid(() => cosineDecay(10, Number.NaN), 'final');
    invalid(() => warmupStableDecay({ warmup: 1, total: 10, decay: 2, final: -1 }), 'final');
    invalid(() => warmupCosine({ warmup: 1, decaySteps: 10, final: Infinity }), 'final');
  });

  it('inconsistent combinations', () => {
    invalid(() => warmupStableDecay({ warmup: 6, total: 10, decay: 5 }), 'must not exceed total');
    invalid(() => warmupCosine({ warmup: 10, decaySteps: 5 }), 'decaySteps');
    invalid(() => sequence(), 'at least one');
    invalid(() => sequence(constant(), [constant(), 3]), 'only the last');
  });
});
