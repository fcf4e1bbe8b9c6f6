import { describe, expect, it } from 'vitest';
import '../examples/backend-conformance.js'; // registers the conformance suite on the counting backend
import { opsPerStep } from '../examples/counting-usage.js';

describe('examples/counting-usage.ts', () => {
  it('counts the primitives of one Scion step (5 Newton–Schulz steps, 3 matmuls each)', () => {
    // The exact figures the example's comment shows.
    expect(opsPerStep).toEqual({ fromArray: 1, run: 1, axpby: 12, maxAbs: 1, addScalar: 2, div: 3, scale: 3, sumSquares: 1, sqrt: 1, add: 1, matmul: 15, assign: 2 });
  });
});
