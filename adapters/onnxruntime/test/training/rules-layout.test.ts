// Gradient rules of ops that move values (reshapes, transposes, broadcasts, concatenation, splits,
// slices, gathers, pads) against finite differences of the float64 oracle, on random shapes;
// opset 18's forms (Split's num_outputs, Pad's axes) and opset 14 (the gradient graph at 16).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, type OpCase } from '../helpers/gradcheck.js';
import { runs, shape } from '../helpers/shapes.js';

async function expectGradient(c: OpCase): Promise<void> {
  const { error, perInput } = await gradcheck(c);
  expect(error, `${c.op} ${JSON.stringify(c.inputs.map((i) => i.shape))} ${JSON.stringify(c.attrs ?? {})}: ${JSON.stringify(perInput)}`).toBeLessThan(1e-4);
}

const seedArb = fc.integer({ min: 1, max: 10_000 });
const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

describe('reshapes', () => {
  it('Reshape (with 0 and −1), Flatten, Squeeze, Unsqueeze', async () => {
    await fc.assert(
      fc.asyncProperty(shape(2, 4), seedArb, async (s, seed) => {
        await expectGradient({ op: 'Reshape', inputs: [{ shape: s }, { shape: [2], type: 'int64', values: [0, -1] }], seed });
        await expectGradient({ op: 'Flatten', inputs: [{ shape: s }], attrs: { axis: 1 }, seed });
        await expectGradient({ op: 'Unsqueeze', inputs: [{ shape: s }, { shape: [2], type: 'int64', values: [0, -1] }], seed });
        await expectGradient({ op: 'Squeeze', inputs: [{ shape: [1, ...s, 1] }, { shape: [2], type: 'int64', values: [0, -1] }], seed });
      }),
      runs(4),
    );
  });

  it('Transpose with a random permutation, and the default (reversed) one', async () => {
    await fc.assert(
      fc.asyncProperty(shape(2, 4).chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length }))), seedArb, async ([s, perm], seed) => {
        await expectGradient({ op: 'Transpose', inputs: [{ shape: s }], attrs: { perm }, seed });
        await expectGradient({ op: 'Transpose', inputs: [{ shape: s }], seed });
      }),
      runs(5),
    );
  });

  it('Tile by random repeats', async () => {
    await fc.assert(
      fc.asyncProperty(shape(1, 3), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), seedArb, async (s, r, seed) => {
        await expectGradient({ op: 'Tile', inputs: [{ shape: s }, { shape: [s.length], type: 'int64', values: r.slice(0, s.length) }], seed });
      }),
      runs(5),
    );
  });

  it('Expand to a broadcast shape', async () => {
    await expectGradient({ op: 'Expand', inputs: [{ shape: [3, 1] }, { shape: [3], type: 'int64', values: [2, 3, 4] }] });
    await expectGradient({ op: 'Expand', inputs: [{ shape: [1, 4] }, { shape: [2], type: 'int64', values: [3, 1] }] });
  });
});

describe('concatenation and splits', () => {
  it('Concat along a random axis', async () => {
    await fc.assert(
      fc.asyncProperty(shape(1, 3), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }), fc.nat(), seedArb, async (s, sizes, a, seed) => {
        const axis = a % s.length;
        const inputs = sizes.map((n) => ({ shape: s.map((d, i) => (i === axis ? n : d)) }));
        await expectGradient({ op: 'Concat', inputs, attrs: { axis: axis - s.length }, seed });
      }),
      runs(5),
    );
  });

  it('Split by sizes, into equal parts, by num_outputs (opset 18, uneven), with an output left without gradient', async () => {
    await expectGradient({ op: 'Split', inputs: [{ shape: [2, 7] }, { shape: [3], type: 'int64', values: [2, 4, 1] }], attrs: { axis: 1 }, outputs: 3 });
    await expectGradient({ op: 'Split', inputs: [{ shape: [6, 2] }], outputs: 3 });
    await expectGradient({ op: 'Split', inputs: [{ shape: [3, 7] }], attrs: { axis: -1, num_outputs: 3 }, outputs: 3, opset: 18 });
    await expectGradient({ op: 'Split', inputs: [{ shape: [4, 3] }], outputs: 2, seeded: [false, true] });
  });
});

describe('slices, gathers and pads', () => {
  it('Slice with random starts, ends, axes and steps (negative ones too)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shape(1, 3, 6),
        fc.array(fc.tuple(fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 }), fc.constantFrom(1, 1, 2, -1, -2)), { minLength: 1, maxLength: 3 }),
        seedArb,
        async (s, spec, seed) => {
          const axes = spec.map((_, k) => k % s.length).filter((a, k, all) => all.indexOf(a) === k);
          const used = spec.slice(0, axes.length);
          const ints = (values: number[]) => ({ shape: [values.length], type: 'int64' as const, values });
          await expectGradient({
            op: 'Slice',
            inputs: [{ shape: s }, ints(used.map((u) => u[0])), ints(used.map((u) => u[1])), ints(axes), ints(used.map((u) => u[2]))],
            seed,
          });
        },
      ),
      runs(10),
    );
  });

  it('Gather on any axis with repeated and negative indices, constant or fed, scalar indices', async () => {
    await fc.assert(
      fc.asyncProperty(shape(1, 3, 5), fc.nat(), shape(0, 2, 4), seedArb, fc.boolean(), async (s, a, idxShape, seed, feed) => {
        const axis = a % s.length;
        const d = s[axis]!;
        const values = Array.from({ length: size(idxShape) }, (_, i) => ((i * 5 + seed) % (2 * d)) - d);
        await expectGradient({ op: 'Gather', inputs: [{ shape: s }, { shape: idxShape, type: 'int64', values, feed }], attrs: { axis }, seed });
      }),
      runs(8),
    );
  });

  it('Pad (constant mode): positive and negative pads, opset 18 axes', async () => {
    await expectGradient({ op: 'Pad', inputs: [{ shape: [2, 3] }, { shape: [4], type: 'int64', values: [1, 0, 2, 1] }] });
    await expectGradient({ op: 'Pad', inputs: [{ shape: [2, 3, 4] }, { shape: [6], type: 'int64', values: [0, -1, 2, 1, 1, -2] }, { shape: [], values: [0.5] }] });
    await expectGradient({ op: 'Pad', inputs: [{ shape: [2, 3, 4] }, { shape: [2], type: 'int64', values: [2, 1] }, { shape: [], absent: true }, { shape: [1], type: 'int64', values: [-1] }], opset: 18 });
  });
});

describe('opset 14 models', () => {
  it('differentiate in a gradient graph at opset 16 (Gather → ScatterND with reduction)', async () => {
    await expectGradient({ op: 'Gather', inputs: [{ shape: [5, 3] }, { shape: [4], type: 'int64', values: [0, 4, 0, 2] }], opset: 14 });
  });
});
