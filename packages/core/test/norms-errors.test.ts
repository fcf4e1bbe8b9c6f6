/** Shapes a norm cannot handle, and options it does not know, fail loudly with stable codes. */
import { describe, expect, it } from 'vitest';
import { LmoError, type LmoErrorCode } from '../src/errors.js';
import type { Norm } from '../src/norms/norm.js';
import { auto, biasRMS, colNorm, frobenius, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';

function thrown(fn: () => unknown): LmoError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LmoError);
    return e as LmoError;
  }
  return expect.fail('expected an LmoError, nothing was thrown');
}

function expectLmoError(fn: () => unknown, code: LmoErrorCode, ...fragments: string[]): void {
  const e = thrown(fn);
  expect(e.code).toBe(code);
  expect(e.name).toBe('LmoError');
  for (const f of fragments) expect(e.message).toContain(f);
}

const PARAM = 'blocks.3.mlp.c_fc.weight';

const NORMS: [string, () => Norm, accepted: number[][], rejected: number[][]][] = [
  ['sign()', () => sign(), [[3, 4], [1, 1]], [[], [5], [2, 3, 4], [2, 2, 2, 2]]],
  ['sign({ normalized: false })', () => sign({ normalized: false }), [[3, 4]], [[5], [2, 3, 4]]],
  ['signUnscaled()', () => signUnscaled(), [[], [5], [3, 4], [2, 3, 4], [1, 2, 3, 4]], [[1, 1, 1, 1, 1]]],
  ['spectral()', () => spectral(), [[3, 4], [4, 3], [1, 1]], [[], [5], [2, 3, 4], [2, 2, 2, 2]]],
  ['colNorm()', () => colNorm(), [[3, 4]], [[], [5], [2, 3, 4]]],
  ['colNorm({ transpose: true })', () => colNorm({ transpose: true }), [[3, 4]], [[5], [2, 3, 4]]],
  ['rowNorm()', () => rowNorm(), [[3, 4]], [[], [5], [2, 3, 4]]],
  ['biasRMS()', () => biasRMS(), [[], [1], [7]], [[2, 3], [1, 1], [2, 3, 4]]],
  ['frobenius()', () => frobenius(), [[], [5], [3, 4], [2, 3, 4], [1, 2, 3, 4]], [[1, 1, 1, 1, 1]]],
  ['spectralConv()', () => spectralConv(), [[4, 3, 3], [4, 3, 3, 3], [1, 1, 1]], [[], [5], [2, 3], [1, 1, 1, 1, 1]]],
  ['auto()', () => auto(), [[], [5], [3, 4], [4, 3, 3], [4, 3, 3, 3]], [[1, 1, 1, 1, 1]]],
  ['transposed(spectral())', () => transposed(spectral()), [[3, 4]], [[], [5], [2, 3, 4]]],
  ['transposed(biasRMS())', () => transposed(biasRMS()), [], [[5], [3, 4]]],
];

describe.each(NORMS)('%s.check', (_label, make, accepted, rejected) => {
  it.each(accepted.map((s) => [s]))('accepts %j', (shape) => {
    expect(() => make().check(shape, PARAM)).not.toThrow();
  });

  it.each(rejected.map((s) => [s]))('rejects %j with UNSUPPORTED_SHAPE naming the parameter and the shape', (shape) => {
    expectLmoError(() => make().check(shape, PARAM), 'UNSUPPORTED_SHAPE', `"${PARAM}"`, `[${shape.join(', ')}]`);
  });

  const shape = accepted.filter((s) => s.length > 0).pop();
  it.runIf(shape !== undefined)('rejects zero, negative and fractional dimensions', () => {
    if (shape === undefined) throw new Error('unreachable');
    for (const bad of [0, -2, 2.5, Number.NaN]) {
      const s = shape.map((d, i) => (i === shape.length - 1 ? bad : d));
      expectLmoError(() => make().check(s, PARAM), 'UNSUPPORTED_SHAPE', `"${PARAM}"`);
    }
  });
});

describe('bad options throw UNKNOWN_NORM naming the option', () => {
  const cases: [string, () => unknown, string][] = [
    ['spectral steps 0', () => spectral({ steps: 0 }), 'steps'],
    ['spectral steps −1', () => spectral({ steps: -1 }), 'steps'],
    ['spectral steps 2.5', () => spectral({ steps: 2.5 }), 'steps'],
    ['spectral steps NaN', () => spectral({ steps: Number.NaN }), 'steps'],
    ['spectral steps Infinity', () => spectral({ steps: Number.POSITIVE_INFINITY }), 'steps'],
    ['spectral steps "5"', () => spectral({ steps: '5' as unknown as number }), 'steps'],
    ['spectral method foo', () => spectral({ method: 'foo' as 'quintic' }), 'foo'],
    ['spectral normalized "yes"', () => spectral({ normalized: 'yes' as unknown as boolean }), 'normalized'],
    ['spectral max 1', () => spectral({ max: 1 as unknown as boolean }), 'max'],
    ['spectralConv steps 0', () => spectralConv({ steps: 0 }), 'steps'],
    ['spectralConv method foo', () => spectralConv({ method: 'foo' as 'quintic' }), 'foo'],
    ['sign normalized "yes"', () => sign({ normalized: 'yes' as unknown as boolean }), 'normalized'],
    ['sign zeroInit 0', () => sign({ zeroInit: 0 as unknown as boolean }), 'zeroInit'],
    ['colNorm normalized "yes"', () => colNorm({ normalized: 'yes' as unknown as boolean }), 'normalized'],
    ['colNorm transpose null', () => colNorm({ transpose: null as unknown as boolean }), 'transpose'],
    ['rowNorm normalized "yes"', () => rowNorm({ normalized: 'yes' as unknown as boolean }), 'normalized'],
    ['rowNorm transpose "true"', () => rowNorm({ transpose: 'true' as unknown as boolean }), 'transpose'],
  ];
  it.each(cases)('%s', (_label, fn, fragment) => {
    expectLmoError(fn, 'UNKNOWN_NORM', fragment);
  });

  it('accepts every valid option value, and records them', () => {
    expect(spectral({ steps: 1, method: 'polar-express', normalized: false, max: true }).options).toEqual({
      steps: 1,
      method: 'polar-express',
      normalized: false,
      max: true,
    });
    expect(spectral().options).toEqual({ steps: 5, method: 'quintic', normalized: true, max: false });
    expect(spectralConv({ steps: 7 }).options).toEqual({ steps: 7, method: 'quintic' });
    expect(sign().options).toEqual({ normalized: true, zeroInit: false });
    expect(colNorm().options).toEqual({ normalized: false, transpose: false });
    expect(rowNorm().options).toEqual({ normalized: true, transpose: false });
    expect(transposed(colNorm({ normalized: true })).options).toEqual({ of: { kind: 'colNorm', options: { normalized: true, transpose: false } } });
  });
});
