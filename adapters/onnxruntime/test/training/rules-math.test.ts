// Gradient rules of reductions, softmaxes, the cross-entropy loss, matrix products and
// normalizations against finite differences of the float64 oracle, on random shapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f, gradcheck, type OpCase } from '../helpers/gradcheck.js';
import { runs, shape } from '../helpers/shapes.js';

async function expectGradient(c: OpCase): Promise<void> {
  const { error, perInput } = await gradcheck(c);
  expect(error, `${c.op} ${JSON.stringify(c.inputs.map((i) => i.shape))} ${JSON.stringify(c.attrs ?? {})}: ${JSON.stringify(perInput)}`).toBeLessThan(1e-4);
}

const seedArb = fc.integer({ min: 1, max: 10_000 });
const ints = (values: number[]) => ({ shape: [values.length], type: 'int64' as const, values });
/** A random non-empty subset of a shape's axes (some negative). */
const axesOf = (s: readonly number[]) => fc.subarray(s.map((_, i) => i), { minLength: 1 }).map((a) => a.map((x, k) => (k % 2 === 1 ? x - s.length : x)));

describe('reductions', () => {
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceSumSquare']) {
    it(`${op}: axes as an input (opset 18) or an attribute (ReduceMean, ReduceSumSquare through 17), keepdims, all axes`, async () => {
      await fc.assert(
        fc.asyncProperty(shape(1, 4).chain((s) => fc.tuple(fc.constant(s), axesOf(s))), fc.boolean(), seedArb, async ([s, axes], keep, seed) => {
          const keepdims = keep ? 1 : 0;
          await expectGradient({ op, inputs: [{ shape: s }, ints(axes)], attrs: { keepdims }, opset: 18, seed });
          if (op === 'ReduceSum') await expectGradient({ op, inputs: [{ shape: s }, ints(axes)], attrs: { keepdims }, opset: 17, seed });
          else await expectGradient({ op, inputs: [{ shape: s }], attrs: { axes, keepdims }, opset: 17, seed });
          await expectGradient({ op, inputs: [{ shape: s }], attrs: { keepdims }, opset: 18, seed });
        }),
        runs(4),
      );
    });
  }

  it('ReduceSum with empty axes and noop_with_empty_axes is the identity', async () => {
    await expectGradient({ op: 'ReduceSum', inputs: [{ shape: [2, 3] }, ints([])], attrs: { noop_with_empty_axes: 1 } });
  });
});

describe('softmaxes and the cross-entropy loss', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    it(`${op} over a random axis`, async () => {
      await fc.assert(
        fc.asyncProperty(shape(1, 4), fc.nat(), seedArb, async (s, a, seed) => {
          await expectGradient({ op, inputs: [{ shape: s }], attrs: { axis: (a % s.length) - (a % 2) * s.length }, seed, random: (u) => 4 * u() - 2 });
        }),
        runs(5),
      );
    });
  }

  it('SoftmaxCrossEntropyLoss: reductions, ignore_index, class weights, extra axes, the log_prob output', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.constantFrom('mean', 'sum', 'none'),
        fc.boolean(),
        fc.boolean(),
        seedArb,
        async (N, C, extra, reduction, ignore, weighted, seed) => {
          const count = N * extra.reduce((a, d) => a * d, 1);
          const labels = Array.from({ length: count }, (_, i) => (ignore && i === 1 ? -1 : (i * 3 + seed) % C));
          const attrs = { reduction, ...(ignore ? { ignore_index: -1 } : {}) };
          const inputs = [{ shape: [N, C, ...extra] }, { shape: [N, ...extra], type: 'int64' as const, values: labels }, ...(weighted ? [{ shape: [C], values: Array.from({ length: C }, (_, i) => 0.5 + i / C) }] : [])];
          await expectGradient({ op: 'SoftmaxCrossEntropyLoss', inputs, attrs, seed, random: (u) => 4 * u() - 2 });
          await expectGradient({ op: 'SoftmaxCrossEntropyLoss', inputs, attrs, outputs: 2, seed, random: (u) => 4 * u() - 2 });
        },
      ),
      runs(8),
    );
  });
});

describe('matrix products', () => {
  it('MatMul: batched with broadcast batch axes, a shared 2-D right operand, 1-D operands', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), fc.boolean(), seedArb, async (batch, [M, K, N], ones, seed) => {
        const other = batch.map((d, i) => (ones && i === 0 ? 1 : d));
        await expectGradient({ op: 'MatMul', inputs: [{ shape: [...batch, M!, K!] }, { shape: [...other, K!, N!] }], seed });
        await expectGradient({ op: 'MatMul', inputs: [{ shape: [...batch, M!, K!] }, { shape: [K!, N!] }], seed });
        await expectGradient({ op: 'MatMul', inputs: [{ shape: [K!] }, { shape: [...batch, K!, N!] }], seed });
        await expectGradient({ op: 'MatMul', inputs: [{ shape: [...batch, M!, K!] }, { shape: [K!] }], seed });
      }),
      runs(5),
    );
  });

  it('Gemm: transposes, α, β, and a bias of every broadcast shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }), fc.boolean(), fc.boolean(), fc.constantFrom('none', 'scalar', 'row', 'column', 'full'), seedArb, async ([M, K, N], tA, tB, bias, seed) => {
        const c = { none: undefined, scalar: [], row: [N!], column: [M!, 1], full: [M!, N!] }[bias];
        const inputs = [{ shape: tA ? [K!, M!] : [M!, K!] }, { shape: tB ? [N!, K!] : [K!, N!] }, ...(c === undefined ? [] : [{ shape: c }])];
        await expectGradient({ op: 'Gemm', inputs, attrs: { transA: tA ? 1 : 0, transB: tB ? 1 : 0, alpha: f(0.7), beta: f(1.3) }, seed });
      }),
      runs(8),
    );
  });
});

describe('normalizations', () => {
  it('LayerNormalization over trailing axes from a random axis, with and without bias', async () => {
    await fc.assert(
      fc.asyncProperty(shape(2, 4, 4), fc.nat(), fc.boolean(), seedArb, async (s, a, bias, seed) => {
        const axis = 1 + (a % (s.length - 1));
        const norm = s.slice(axis);
        const inputs = [{ shape: s.map((d) => d + 1) }, { shape: norm.map((d) => d + 1) }, ...(bias ? [{ shape: norm.map((d) => d + 1) }] : [])];
        await expectGradient({ op: 'LayerNormalization', inputs, attrs: { axis: a % 2 === 0 ? axis : axis - s.length, epsilon: f(1e-3) }, seed });
      }),
      runs(6),
    );
  });

  it('InstanceNormalization (and so GroupNorm as PyTorch exports it), 1-D to 3-D planes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), shape(1, 3, 3).filter((s) => s.reduce((a, d) => a * d, 1) > 1), seedArb, async (N, C, spatial, seed) => {
        await expectGradient({ op: 'InstanceNormalization', inputs: [{ shape: [N, C, ...spatial] }, { shape: [C] }, { shape: [C] }], attrs: { epsilon: f(1e-3) }, seed });
      }),
      runs(6),
    );
  });

  it('BatchNormalization: inference form (statistics differentiable too) and training form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), shape(0, 2, 3), seedArb, async (N, C, spatial, seed) => {
        const variance = { shape: [C], values: Array.from({ length: C }, (_, i) => 0.5 + i * 0.3), wrt: true };
        const inputs = [{ shape: [N, C, ...spatial] }, { shape: [C] }, { shape: [C] }, { shape: [C] }, variance];
        await expectGradient({ op: 'BatchNormalization', inputs, attrs: { epsilon: f(1e-3) }, seed });
        if (N * spatial.reduce((p, d) => p * d, 1) > 1) {
          const training = [inputs[0]!, inputs[1]!, inputs[2]!, { shape: [C], values: new Array<number>(C).fill(0) }, { shape: [C], values: new Array<number>(C).fill(1) }];
          await expectGradient({ op: 'BatchNormalization', inputs: training, attrs: { epsilon: f(1e-3), training_mode: 1 }, outputs: 3, seeded: [true, false, false], seed });
        }
      }),
      runs(6),
    );
  });
});
