import { biasRMS, colNorm, sign, spectral, type GroupSpec, type Shape } from '@lmo/core';
import { WPE, WTE } from '../model/config.js';

/**
 * Scion's groups for nanoGPT with a tied head (docs/guide/norms.md, worked example): block
 * matrices → Spectral (scale 3), LayerNorm gains → BiasRMS (3), `wpe` → ColNorm on the transpose
 * (3), `wte`/`lm_head` → Sign, normalized (180).
 */
export function scionGroups(): GroupSpec[] {
  return [
    { name: 'embedding', match: WTE, norm: sign({ normalized: true }), scale: 180 },
    { name: 'position', match: WPE, norm: colNorm({ transpose: true }), scale: 3 },
    { name: 'gains', match: (_name: string, shape: Shape) => shape.length === 1, norm: biasRMS(), scale: 3 },
    { name: 'matrices', match: (name: string, shape: Shape) => shape.length === 2 && name.startsWith('transformer.h.'), norm: spectral(), scale: 3 },
  ];
}
