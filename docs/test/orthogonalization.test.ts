import { describe, expect, it } from 'vitest';
import { gram } from '../examples/orthogonalization.js';

describe('examples/orthogonalization.ts', () => {
  it('Polar Express (8 steps) gives an orthogonal X up to float32 (X·Xᵀ ≈ I)', () => {
    const m = 32;
    let worst = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) worst = Math.max(worst, Math.abs(gram[i * m + j]! - (i === j ? 1 : 0)));
    expect(worst).toBeLessThan(1e-3);
  });
});
