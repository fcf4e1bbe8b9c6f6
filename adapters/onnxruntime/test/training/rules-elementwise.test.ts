// Gradient rules of elementwise ops against central finite differences of the float64 oracle, on
// random (broadcast) shapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, type OpCase } from '../helpers/gradcheck.js';
import { broadcastPair, runs, shape } from '../helpers/shapes.js';

const TOLERANCE = 1e-4;

async function expectGradient(c: OpCase): Promise<void> {
  const { error, perInput } = await gradcheck(c);
  expect(error, `${c.op} ${JSON.stringify(c.inputs.map((i) => i.shape))}: ${JSON.stringify(perInput)}`).toBeLessThan(TOLERANCE);
}

/** Values away from 0 (for kinks and divisions), magnitude in [0.2, 1.2). */
const awayFromZero = (u: () => number): number => (u() < 0.5 ? -1 : 1) * (0.2 + u());
const positive = (u: () => number): number => 0.2 + u();

describe('binary arithmetic, both operands broadcast either way', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    it(op, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPair(), fc.boolean(), fc.integer({ min: 1, max: 1000 }), async ([full, partial], swap, seed) => {
          const shapes = swap ? [partial, full] : [full, partial];
          await expectGradient({ op, inputs: shapes.map((s) => ({ shape: s })), seed, ...(op === 'Div' ? { random: awayFromZero } : {}) });
        }),
        runs(),
      );
    });
  }

  it('Pow: base and exponent, and a constant exponent (2 and 3)', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair(), fc.integer({ min: 1, max: 1000 }), async ([full, partial], seed) => {
        await expectGradient({ op: 'Pow', inputs: [{ shape: full }, { shape: partial }], seed, random: positive });
      }),
      runs(4),
    );
    for (const p of [2, 3, 0.5]) await expectGradient({ op: 'Pow', inputs: [{ shape: [3, 4] }, { shape: [], values: [p] }], random: positive });
  });

  it('Sum of three broadcast inputs', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair(), fc.integer({ min: 1, max: 1000 }), async ([full, partial], seed) => {
        await expectGradient({ op: 'Sum', inputs: [{ shape: partial }, { shape: full }, { shape: [full[full.length - 1]!] }], seed });
      }),
      runs(4),
    );
  });

  it('Where: both branches broadcast against the condition', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair(), fc.integer({ min: 1, max: 1000 }), async ([full, partial], seed) => {
        const cond = full.map((d) => d);
        const values = Array.from({ length: cond.reduce((a, d) => a * d, 1) }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
        await expectGradient({ op: 'Where', inputs: [{ shape: cond, type: 'bool', values }, { shape: partial }, { shape: [1] }], seed });
      }),
      runs(4),
    );
  });
});

describe('Clip, Max and Min', () => {
  it('Clip between constant bounds, one bound, none (values away from the bounds)', async () => {
    const away = (u: () => number): number => [-1.5, -0.25, 0.25, 1.5][Math.floor(4 * u())]! + 0.4 * u() - 0.2;
    await expectGradient({ op: 'Clip', inputs: [{ shape: [3, 4] }, { shape: [], values: [-1] }, { shape: [], values: [1] }], random: away });
    await expectGradient({ op: 'Clip', inputs: [{ shape: [5] }, { shape: [], absent: true }, { shape: [], values: [0] }], random: away });
    await expectGradient({ op: 'Clip', inputs: [{ shape: [2, 2] }], random: away });
  });

  for (const op of ['Max', 'Min']) {
    it(`${op} of broadcast inputs`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPair(), fc.integer({ min: 1, max: 1000 }), async ([full, partial], seed) => {
          await expectGradient({ op, inputs: [{ shape: full }, { shape: partial }, { shape: [full[full.length - 1]!] }], seed });
        }),
        runs(4),
      );
    });
  }
});

describe('unary functions', () => {
  const cases: Array<[string, ((u: () => number) => number) | undefined]> = [
    ['Sqrt', positive],
    ['Reciprocal', awayFromZero],
    ['Exp', undefined],
    ['Log', positive],
    ['Erf', (u) => 4 * u() - 2],
    ['Tanh', undefined],
    ['Sigmoid', (u) => 6 * u() - 3],
    ['Relu', awayFromZero],
    ['LeakyRelu', awayFromZero],
    ['Neg', undefined],
    ['Abs', awayFromZero],
    ['Identity', undefined],
    ['Softplus', (u) => 6 * u() - 3],
    ['Elu', awayFromZero],
    ['HardSigmoid', (u) => (u() < 0.5 ? -1 : 1) * (0.2 + 3 * u())],
    ['HardSwish', (u) => [-4.5, -1.5, 0.5, 1.5, 4.5][Math.floor(5 * u())]! + 0.8 * u() - 0.4],
    ['Sin', (u) => 6 * u() - 3],
    ['Cos', (u) => 6 * u() - 3],
  ];
  for (const [op, random] of cases) {
    it(op, async () => {
      await fc.assert(
        fc.asyncProperty(shape(0, 3), fc.integer({ min: 1, max: 1000 }), async (s, seed) => {
          await expectGradient({ op, inputs: [{ shape: s }], seed, ...(random ? { random } : {}), ...(op === 'LeakyRelu' ? { attrs: { alpha: { f: 0.1 } } } : {}) });
        }),
        runs(3),
      );
    });
  }

  it('Dropout in inference form, and Cast between float types', async () => {
    await expectGradient({ op: 'Dropout', inputs: [{ shape: [2, 3] }] });
    await expectGradient({ op: 'Dropout', inputs: [{ shape: [2, 3] }, { shape: [], values: [0.5] }, { shape: [], type: 'bool', values: [0] }] });
    await expectGradient({ op: 'Cast', inputs: [{ shape: [2, 3] }], attrs: { to: 1 } });
  });
});
