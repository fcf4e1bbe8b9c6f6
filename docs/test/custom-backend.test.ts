import { describe, expect, it } from 'vitest';
import '../examples/backend-conformance.js'; // registers the conformance suite on the counting backend
import { runExample } from './run-example.js';

describe('examples/counting-usage.ts', () => {
  it('counts the primitives of one Scion step (5 Newton–Schulz steps, 3 matmuls each)', async () => {
    const { module, printed } = await runExample(() => import('../examples/counting-usage.js'));
    const expected = { fromArray: 1, run: 1, axpby: 12, maxAbs: 1, addScalar: 2, div: 3, scale: 3, sumSquares: 1, sqrt: 1, add: 1, matmul: 15, assign: 2 };
    expect(module.opsPerStep).toEqual(expected);
    // What it prints is what its last comment shows.
    expect(printed).toEqual([JSON.stringify(expected)]);
  });
});
