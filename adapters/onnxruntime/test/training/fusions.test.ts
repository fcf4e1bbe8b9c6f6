// Fusions: the exact GELU as PyTorch exports it (x/√2 → Erf → +1 → ·x → ·½) and as the nanoGPT
// benchmark's forward builder writes it (x·(1/√2), no ½), differentiated as one function; checked
// against finite differences of the float64 oracle, and left to the per-op rules when an interior
// value is read elsewhere.
import { describe, expect, it } from 'vitest';
import { gradcheck, type NodeSpec } from '../helpers/gradcheck.js';

const constant = (v: number) => ({ shape: [], values: [v] });
const gelu = (first: NodeSpec, half: boolean): NodeSpec[] => [
  first,
  { op: 'Erf', inputs: ['s'], outputs: ['e'] },
  { op: 'Add', inputs: ['e', 'x2'], outputs: ['a'] },
  { op: 'Mul', inputs: ['a', 'x0'], outputs: [half ? 'm' : 'y'] },
  ...(half ? [{ op: 'Mul', inputs: ['x3', 'm'], outputs: ['y'] }] : []),
];

describe('GELU fusion', () => {
  it("PyTorch's form: one fused gradient (no Div, one Erf-derivative Exp), equal to finite differences", async () => {
    const nodes = gelu({ op: 'Div', inputs: ['x0', 'x1'], outputs: ['s'] }, true);
    const r = await gradcheck({ op: '', nodes, graphOutputs: ['y'], inputs: [{ shape: [3, 5] }, constant(Math.SQRT2), constant(1), constant(0.5)], random: (u) => 6 * u() - 3 });
    expect(r.error).toBeLessThan(1e-4);
    expect(r.emitted.filter((o) => o === 'Div')).toHaveLength(0);
    expect(r.emitted.filter((o) => o === 'Exp')).toHaveLength(1);
  });

  it("the benchmark builder's form (x·(1/√2), no ½)", async () => {
    const nodes = gelu({ op: 'Mul', inputs: ['x1', 'x0'], outputs: ['s'] }, false);
    const r = await gradcheck({ op: '', nodes, graphOutputs: ['y'], inputs: [{ shape: [4, 2, 3] }, constant(Math.SQRT1_2), constant(1)], random: (u) => 6 * u() - 3 });
    expect(r.error).toBeLessThan(1e-4);
    expect(r.emitted).not.toContain('Sum');
  });

  it('is left to the per-op rules when an interior value is read elsewhere (here a graph output)', async () => {
    const nodes = gelu({ op: 'Div', inputs: ['x0', 'x1'], outputs: ['s'] }, true);
    const r = await gradcheck({ op: '', nodes, graphOutputs: ['y', 'e'], inputs: [{ shape: [6] }, constant(Math.SQRT2), constant(1), constant(0.5)], random: (u) => 6 * u() - 3 });
    expect(r.error).toBeLessThan(1e-4);
    expect(r.emitted).toContain('Div');
  });

  it('sums with the gradients of other uses of x', async () => {
    const nodes = [...gelu({ op: 'Div', inputs: ['x0', 'x1'], outputs: ['s'] }, true), { op: 'Mul', inputs: ['y', 'x0'], outputs: ['z'] }];
    const r = await gradcheck({ op: '', nodes, graphOutputs: ['z'], inputs: [{ shape: [2, 3] }, constant(Math.SQRT2), constant(1), constant(0.5)], random: (u) => 4 * u() - 2 });
    expect(r.error).toBeLessThan(1e-4);
  });
});
