import { describe, expect, it } from 'vitest';
import { optimizer, routing } from '../examples/nanogpt-groups.js';

describe('examples/nanogpt-groups.ts', () => {
  it('routes nanoGPT parameters as the norms guide prescribes', () => {
    const byName = new Map(optimizer.parameters.map((p) => [p.name, p]));
    expect(byName.get('transformer.wte.weight')?.norm?.kind).toBe('sign');
    expect(byName.get('transformer.wte.weight')?.norm?.options).toMatchObject({ normalized: true });
    expect(byName.get('transformer.wpe.weight')?.norm?.kind).toBe('colNorm');
    expect(byName.get('transformer.wpe.weight')?.norm?.options).toMatchObject({ transpose: true });
    expect(byName.get('transformer.ln_f.weight')?.group).toBe('gains');
    expect(byName.get('transformer.h.3.mlp.c_proj.weight')?.group).toBe('matrices');
    const counts = new Map<string, number>();
    for (const p of optimizer.parameters) counts.set(p.group, (counts.get(p.group) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ embedding: 1, position: 1, gains: 9, matrices: 16 });
    expect(routing[0]).toBe('transformer.wte.weight [65, 128] → embedding (sign)');
  });

  it('uses the warmup+cosine schedule: lr·1/101 at step 0', () => {
    expect(optimizer.learningRate('transformer.wte.weight')).toBeCloseTo(2 ** -8 / 101, 12);
  });
});
