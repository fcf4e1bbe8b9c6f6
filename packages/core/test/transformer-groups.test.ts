import { describe, expect, it } from 'vitest';
import { LmoError } from '../src/errors.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { optionsFromJSON, optionsToJSON } from '../src/optimizer/options-json.js';
import { transformerGroups } from '../src/optimizer/transformer.js';
import type { RefTensor } from '../src/reference/index.js';
import { ref, tensor } from './helpers/backend.js';

/** nanoGPT's parameter names and shapes (2 layers, 8 wide, vocab 11, block 6). */
function nanoGpt(): Record<string, RefTensor> {
  const C = 8;
  const p: Record<string, number[]> = { 'transformer.wte.weight': [11, C], 'transformer.wpe.weight': [6, C] };
  for (let l = 0; l < 2; l++) {
    const h = `transformer.h.${l}`;
    Object.assign(p, {
      [`${h}.ln_1.weight`]: [C],
      [`${h}.attn.c_attn.weight`]: [3 * C, C],
      [`${h}.attn.c_proj.weight`]: [C, C],
      [`${h}.ln_2.weight`]: [C],
      [`${h}.mlp.c_fc.weight`]: [4 * C, C],
      [`${h}.mlp.c_proj.weight`]: [C, 4 * C],
    });
  }
  p['transformer.ln_f.weight'] = [C];
  return Object.fromEntries(Object.entries(p).map(([n, s]) => [n, tensor(new Array(s.reduce((a, d) => a * d, 1)).fill(0.1), s)]));
}

describe('transformerGroups', () => {
  it('routes nanoGPT with a tied head like the reference configuration (radius 3, 60× on the head)', () => {
    const opt = createOptimizer(ref, nanoGpt(), { lr: 1, groups: transformerGroups() });
    const by = Object.fromEntries(opt.parameters.map((p) => [p.name, [p.group, p.norm!.kind, JSON.stringify(p.norm!.options)]]));
    expect(by['transformer.wte.weight']).toEqual(['embedding', 'sign', '{"normalized":true,"zeroInit":false}']);
    expect(by['transformer.wpe.weight']).toEqual(['positions', 'colNorm', '{"normalized":false,"transpose":true}']);
    expect(by['transformer.h.1.ln_2.weight']?.slice(0, 2)).toEqual(['gains', 'biasRMS']);
    expect(by['transformer.ln_f.weight']?.slice(0, 2)).toEqual(['gains', 'biasRMS']);
    expect(by['transformer.h.0.mlp.c_fc.weight']?.slice(0, 2)).toEqual(['hidden', 'spectral']);
    const scales = Object.fromEntries(transformerGroups().map((g) => [g.name, g.scale]));
    expect(scales).toEqual({ embedding: 180, positions: 3, gains: 3, hidden: 3 });
  });

  it('takes radii, names and spectral options; positions can be left out', () => {
    const groups = transformerGroups({
      radii: { hidden: 2, embedding: 120, gains: 1 },
      match: { embedding: 'tok.weight', positions: null },
      spectral: { method: 'polar-express', steps: 8 },
    });
    expect(groups.map((g) => [g.name, g.scale])).toEqual([
      ['embedding', 120],
      ['gains', 1],
      ['hidden', 2],
    ]);
    expect(groups[2]!.norm!.options).toMatchObject({ method: 'polar-express', steps: 8 });
    expect(() => transformerGroups({ radii: { head: 3 } as never })).toThrow(/unknown radius "head"/);
  });

  it('is saved and rebuilt with the optimizer\'s options (no function matchers)', () => {
    const json = JSON.parse(JSON.stringify(optionsToJSON({ lr: 1, groups: transformerGroups() })));
    const back = optionsFromJSON(json);
    const a = createOptimizer(ref, nanoGpt(), { lr: 1, groups: transformerGroups() });
    const b = createOptimizer(ref, nanoGpt(), back);
    expect(b.parameters.map((p) => [p.name, p.group])).toEqual(a.parameters.map((p) => [p.name, p.group]));
  });

  it('a parameter that fits no group says so (a conv kernel in the hidden group)', () => {
    const p = { ...nanoGpt(), 'conv.weight': tensor(new Array(24).fill(0), [2, 3, 4]) };
    let caught: unknown;
    try {
      createOptimizer(ref, p, { lr: 1, groups: transformerGroups() });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LmoError);
    expect((caught as LmoError).code).toBe('UNSUPPORTED_SHAPE');
    expect((caught as LmoError).message).toContain('"conv.weight"');
  });
});
