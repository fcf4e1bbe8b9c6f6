/**
 * The parameter set of nanoGPT's default (CPU) model — vocab 65, block 64, 4 layers, width 128,
 * bias=false, tied lm_head — with nanoGPT's parameter names, so that core's `transformerGroups()`
 * routes them. Shared by the benchmark and the tests.
 */

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
    ['transformer.wte.weight', [vocab, c]],
    ['transformer.wpe.weight', [block, c]],
  ];
  for (let l = 0; l < layers; l++) {
    const h = `transformer.h.${l}`;
    shapes.push(
      [`${h}.ln_1.weight`, [c]],
      [`${h}.attn.c_attn.weight`, [3 * c, c]],
      [`${h}.attn.c_proj.weight`, [c, c]],
      [`${h}.ln_2.weight`, [c]],
      [`${h}.mlp.c_fc.weight`, [4 * c, c]],
      [`${h}.mlp.c_proj.weight`, [c, 4 * c]],
    );
  }
  shapes.push(['transformer.ln_f.weight', [c]]);
  return shapes;
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
