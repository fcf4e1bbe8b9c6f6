import { type CharDataset, type GptModel, type ParamMap, recipeTrainOptimizer, applySettings, recipeId, recipeSchedule, type Recipe, trainBuilt } from '@lmo/gpt';
import { sweepRecord, sweepRun } from './sweep-run.js';
import type { RecipeRecord } from '../report/recipe-report.js';
import { UsageError } from '../util/errors.js';
import { parseList } from '../cli/numbers.js';

/**
 * The recipe sweep: a base recipe, `key=value` settings, and varied keys (`key=v1,v2,…`) whose
 * cartesian product gives the recipes; each runs for every seed. One JSON line per run.
 */
export interface RecipeSweep {
  readonly base: Recipe;
  /** Settings applied to the base before the variations (`key=value`). */
  readonly set: readonly string[];
  /** Varied keys (`key=v1,v2,…`), expanded as a cartesian product, the first key outermost. */
  readonly vary: readonly string[];
  readonly seeds: readonly number[];
  readonly iters: number;
  readonly evalIters: number;
  /** Evaluate every this many iterations (the curve is stored in the record); `iters`: at the end only. */
  readonly evalEvery: number;
  readonly batchSize: number;
}

/** One run of the recipe sweep. */
export interface RecipePoint {
  readonly recipe: Recipe;
  readonly seed: number;
}

/** Splits `key=v1,v2,…` into its key and values. */
function variation(text: string): [string, string[]] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--vary expects key=v1,v2,…, got "${text}"`);
  const values = parseList(text.slice(eq + 1));
  if (values.length === 0) throw new UsageError(`--vary ${text.slice(0, eq)} has no values`);
  return [text.slice(0, eq).trim(), values];
}

/** Every recipe of the sweep (distinct, in expansion order). Validates every setting first. */
export function expandRecipes(s: Pick<RecipeSweep, 'base' | 'set' | 'vary'>): Recipe[] {
  const base = applySettings(s.base, s.set);
  let recipes: Recipe[] = [base];
  for (const text of s.vary) {
    const [key, values] = variation(text);
    recipes = recipes.flatMap((r) => values.map((v) => applySettings(r, [`${key}=${v}`])));
  }
  const seen = new Set<string>();
  return recipes.filter((r) => {
    const id = recipeId(r);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Every point: recipes × seeds (seeds innermost). */
export function recipePoints(s: RecipeSweep): RecipePoint[] {
  return expandRecipes(s).flatMap((recipe) => s.seeds.map((seed) => ({ recipe, seed })));
}

export function recipePointKey(p: RecipePoint, s: Pick<RecipeSweep, 'iters' | 'evalIters' | 'batchSize'>): string {
  return `${recipeId(p.recipe)}|${p.seed}|${s.iters}|${s.evalIters}|${s.batchSize}`;
}

export function recipeRecordKey(r: RecipeRecord): string {
  return `${r.id}|${r.seed}|${r.iters}|${r.eval_iters}|${r.batch_size}`;
}

/** Trains one recipe on `model` and returns its record (a diverged run gets null losses). */
export async function runRecipePoint<T>(model: GptModel<T>, data: CharDataset, s: RecipeSweep, p: RecipePoint): Promise<RecipeRecord> {
  const settings = { iters: s.iters, batchSize: s.batchSize, evalEvery: s.evalEvery, evalIters: s.evalIters, seed: p.seed };
  const build = (params: ParamMap<T>) => recipeTrainOptimizer('recipe', p.recipe, model.tensors, params, recipeSchedule(p.recipe, s.iters));
  const run = await sweepRun(model, () => trainBuilt(model, data, build, settings));
  return { kind: 'recipe', id: recipeId(p.recipe), recipe: p.recipe, ...sweepRecord(model, settings, run), ...(s.evalEvery < s.iters ? { evals: run.evals } : {}) };
}
