// Gradient rules of convolutions and pools against finite differences of the float64 oracle, on
// random geometries: 1-D to 3-D, kernels, strides, dilations, pads, auto_pad, groups, ceil_mode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, type OpCase } from '../helpers/gradcheck.js';
import { runs } from '../helpers/shapes.js';

async function expectGradient(c: OpCase): Promise<void> {
  const { error, perInput } = await gradcheck(c);
  expect(error, `${c.op} ${JSON.stringify(c.inputs.map((i) => i.shape))} ${JSON.stringify(c.attrs ?? {})}: ${JSON.stringify(perInput)}`).toBeLessThan(1e-4);
}

const seedArb = fc.integer({ min: 1, max: 10_000 });

/** One spatial axis: kernel, stride, dilation, pads, and an input size the window fits. */
const axisArb = fc
  .record({ k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }), extra: fc.integer({ min: 0, max: 3 }) })
  .map((a) => ({ ...a, pb: Math.min(a.pb, (a.k - 1) * a.d), pe: Math.min(a.pe, (a.k - 1) * a.d), size: (a.k - 1) * a.d + 1 + a.extra }));

const geometry = fc.array(axisArb, { minLength: 1, maxLength: 3 }).filter((axes) => axes.reduce((p, a) => p * a.size, 1) <= 64);

describe('Conv', () => {
  it('1-D to 3-D with strides, dilations, pads, groups and a bias', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.boolean(), seedArb, async (axes, N, group, perGroup, bias, seed) => {
        const C = group * perGroup;
        const O = group * (3 - perGroup);
        const attrs = {
          group,
          kernel_shape: axes.map((a) => a.k),
          strides: axes.map((a) => a.s),
          dilations: axes.map((a) => a.d),
          pads: [...axes.map((a) => a.pb), ...axes.map((a) => a.pe)],
        };
        const inputs = [{ shape: [N, C, ...axes.map((a) => a.size)] }, { shape: [O, C / group, ...axes.map((a) => a.k)] }, ...(bias ? [{ shape: [O] }] : [])];
        await expectGradient({ op: 'Conv', inputs, attrs, seed });
      }),
      runs(12),
    );
  });

  it('auto_pad SAME_UPPER, SAME_LOWER and VALID; depthwise', async () => {
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await expectGradient({ op: 'Conv', inputs: [{ shape: [1, 2, 7, 6] }, { shape: [3, 2, 3, 2] }], attrs: { auto_pad, strides: [2, 1] } });
    }
    await expectGradient({ op: 'Conv', inputs: [{ shape: [2, 4, 5, 5] }, { shape: [4, 1, 3, 3] }, { shape: [4] }], attrs: { group: 4, pads: [1, 1, 1, 1] } });
  });
});

/** Distinct values (no ties in a max window, nothing within the finite-difference step). */
const distinct = (u: () => number): number => Math.round(u() * 2000) / 1000 - 1 + u() * 1e-4;

describe('pools', () => {
  it('MaxPool with strides, dilations, pads and ceil_mode (overlapping windows)', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, fc.boolean(), seedArb, async (axes, ceil, seed) => {
        const attrs = {
          kernel_shape: axes.map((a) => a.k),
          strides: axes.map((a) => a.s),
          dilations: axes.map((a) => a.d),
          pads: [...axes.map((a) => Math.min(a.pb, a.k - 1)), ...axes.map((a) => Math.min(a.pe, a.k - 1))],
          ceil_mode: ceil ? 1 : 0,
        };
        await expectGradient({ op: 'MaxPool', inputs: [{ shape: [2, 2, ...axes.map((a) => a.size)] }], attrs, seed, random: distinct });
      }),
      runs(12),
    );
  });

  it('AveragePool with strides, pads, count_include_pad and ceil_mode', async () => {
    await fc.assert(
      fc.asyncProperty(geometry, fc.boolean(), fc.boolean(), seedArb, async (axes, include, ceil, seed) => {
        const attrs = {
          kernel_shape: axes.map((a) => a.k),
          strides: axes.map((a) => a.s),
          pads: [...axes.map((a) => Math.min(a.pb, a.k - 1)), ...axes.map((a) => Math.min(a.pe, a.k - 1))],
          count_include_pad: include ? 1 : 0,
          ceil_mode: ceil ? 1 : 0,
        };
        await expectGradient({ op: 'AveragePool', inputs: [{ shape: [1, 2, ...axes.map((a) => a.size)] }], attrs, seed });
      }),
      runs(12),
    );
  });

  it('GlobalAveragePool, 1-D to 3-D', async () => {
    for (const spatial of [[5], [3, 4], [2, 3, 2]]) await expectGradient({ op: 'GlobalAveragePool', inputs: [{ shape: [2, 3, ...spatial] }] });
  });
});
