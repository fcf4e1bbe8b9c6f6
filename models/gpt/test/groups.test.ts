import { scion, transformerGroups } from '@lmo/core';
import { RefTensor, referenceBackend } from '@lmo/core/reference';
import { describe, expect, it } from 'vitest';
import { paramSpecs, sizeOf, type GPTConfig } from '../src/config.js';

describe("core's transformerGroups() on the benchmark's GPT", () => {
  it('route every parameter to its norm and radius', () => {
    const cfg: GPTConfig = { vocabSize: 65, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 };
    const params = new Map(paramSpecs(cfg).map((s) => [s.name, new RefTensor(new Float32Array(sizeOf(s.shape)), s.shape)]));
    const opt = scion(referenceBackend, params, { lr: 2 ** -8, groups: transformerGroups() });
    const byName = new Map(opt.parameters.map((p) => [p.name, p]));
    expect(byName.get('transformer.wte.weight')).toMatchObject({ group: 'embedding', norm: { kind: 'sign', options: { normalized: true } } });
    expect(byName.get('transformer.wpe.weight')).toMatchObject({ group: 'positions', norm: { kind: 'colNorm', options: { transpose: true } } });
    for (const l of [0, 1]) {
      for (const m of ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']) {
        expect(byName.get(`transformer.h.${l}.${m}.weight`)).toMatchObject({ group: 'hidden', norm: { kind: 'spectral' } });
      }
      for (const ln of ['ln_1', 'ln_2']) expect(byName.get(`transformer.h.${l}.${ln}.weight`)).toMatchObject({ group: 'gains', norm: { kind: 'biasRMS' } });
    }
    expect(byName.get('transformer.ln_f.weight')?.group).toBe('gains');
    expect(opt.parameters).toHaveLength(paramSpecs(cfg).length);
  });
});
