/**
 * The parameter set of nanoGPT's default (CPU) model — vocab 65, block 64, 4 layers, width 128,
 * bias=false, tied lm_head — and Scion's default groups for it (docs/guide/norms.md, worked example). Shared by the
 * benchmark and the tests.
 */
import { biasRMS, colNorm, sign, spectral, type GroupSpec } from '@lmo/core';

export interface NanoGptSize {
  readonly vocab: number;
  readonly block: number;
  readonly layers: number;
  readonly width: number;
}

export const NANOGPT_DEFAULT: NanoGptSize = { vocab: 65, block: 64, layers: 4, width: 128 };

/** Parameter names and shapes, in model order. */
export function nanoGptShapes({ vocab, block, layers, width: c }: NanoGptSize = NANOGPT_DEFAULT): [string, number[]][] {
  const shapes: [string, number[]][] = [
    ['wte', [vocab, c]],
    ['wpe', [block, c]],
  ];
  for (let l = 0; l < layers; l++) {
    shapes.push(
      [`h.${l}.ln_1.weight`, [c]],
      [`h.${l}.attn.c_attn.weight`, [3 * c, c]],
      [`h.${l}.attn.c_proj.weight`, [c, c]],
      [`h.${l}.ln_2.weight`, [c]],
      [`h.${l}.mlp.c_fc.weight`, [4 * c, c]],
      [`h.${l}.mlp.c_proj.weight`, [c, 4 * c]],
    );
  }
  shapes.push(['ln_f.weight', [c]]);
  return shapes;
}

/**
 * Scion's default groups for nanoGPT: block matrices → Spectral (scale 3), LayerNorm gains →
 * BiasRMS (3), `wpe` → ColNorm(transpose) (3), tied `wte` → Sign(normalized) (180).
 */
export function scionGroups(): GroupSpec[] {
  return [
    { name: 'hidden', match: (name, shape) => name.startsWith('h.') && shape.length === 2, norm: spectral(), scale: 3 },
    { name: 'gains', match: (name, shape) => shape.length === 1, norm: biasRMS(), scale: 3 },
    { name: 'wpe', match: 'wpe', norm: colNorm({ transpose: true }), scale: 3 },
    { name: 'wte', match: 'wte', norm: sign({ normalized: true }), scale: 180 },
  ];
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG; no dependency on core's Random). */
export function pseudoRandom(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
