import { describe, expect, it } from 'vitest';
import { muonLike, scionPerLayer, sgdNormalized, sgdSign } from '../examples/presets.js';

describe('examples/presets.ts', () => {
  it('routes every parameter to the norm the page says', () => {
    expect(sgdSign.parameters.map((p) => p.norm?.kind)).toEqual(['signUnscaled', 'signUnscaled', 'signUnscaled']);
    expect(sgdNormalized.parameters.map((p) => p.norm?.kind)).toEqual(['frobenius', 'frobenius', 'frobenius']);
    expect(muonLike.parameters.map((p) => p.norm?.kind)).toEqual(['muon', 'muon', 'muon']);
    expect(scionPerLayer.parameters.map((p) => p.norm?.kind)).toEqual(['spectral', 'biasRMS', 'sign']);
  });
});
