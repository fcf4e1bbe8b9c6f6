import type { GroupSpec } from '@lmo/core';
import { PAPER_SCION, recipeGroups } from './recipe.js';

/**
 * DESIGN §4's Scion groups for nanoGPT with a tied head: block matrices → Spectral (scale 3),
 * LayerNorm gains → BiasRMS (3), `wpe` → ColNorm on the transpose (3), `wte`/`lm_head` → Sign,
 * normalized (180). The paper's recipe ({@link PAPER_SCION}); other radii: {@link recipeGroups}.
 */
export function scionGroups(): GroupSpec[] {
  return recipeGroups(PAPER_SCION);
}
