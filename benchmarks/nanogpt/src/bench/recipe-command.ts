import { join, resolve } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { PACKAGE_DIR } from '../package-dir.js';
import { CPU_CONFIG, OPTIMIZERS, recipeOf, isOptimizerName, recipeDiff, type Recipe } from '@lmo/gpt';
import { createModel, DEFAULT_BACKEND, prepareCorpus } from '@lmo/gpt/node';
import { isRecipeRecord, recipeTable, summarize, type RecipeRecord } from '../report/recipe-report.js';
import { UsageError } from '../util/errors.js';
import { collect, parseInteger } from '../cli/numbers.js';
import { readRecords, sweepQueue } from './queue.js';
import { expandRecipes, recipePointKey, recipePoints, recipeRecordKey, runRecipePoint, type RecipePoint, type RecipeSweep } from './recipe.js';

const int = parseInteger(1);

/** The names `--base` accepts: the benchmark's Scion-family optimizers that are recipes. */
export function baseRecipe(name: string): Recipe {
  const recipe = isOptimizerName(name) ? recipeOf(name) : undefined;
  if (!recipe) {
    const names = Object.keys(OPTIMIZERS).filter((n) => isOptimizerName(n) && recipeOf(n) !== undefined);
    throw new UsageError(`--base must name a recipe optimizer (${names.join(', ')}), got "${name}"`);
  }
  return recipe;
}

/** `pnpm bench recipe`: registers the command on `program`. */
export function recipeCommand(program: Command): Command {
  return program
    .command('recipe')
    .description('Scion-family recipe sweep on the default model: a base recipe, --set and --vary keys (cartesian product) × seeds; resumable, several workers may share one --json file')
    .option('--data <file>', 'corpus (default as for pnpm nanogpt)')
    .option('--backend <name>', 'model backend', DEFAULT_BACKEND)
    .option('--base <name>', 'recipe to start from (an optimizer name that is a recipe)', 'scion')
    .option('--set <key=value>', 'a recipe setting (repeatable): family, lr, momentum, hidden, gains, positions, embedding, schedule, warmup, decay, ortho', collect)
    .option('--vary <key=v1,v2>', 'a varied key (repeatable; the cartesian product of all --vary is run)', collect)
    .option('--seeds <n>', 'seeds per recipe (from --seed on)', int, 1)
    .option('--seed <n>', 'first seed', int, 1337)
    .option('--iters <n>', 'iterations per run (the schedule ends here)', int, 500)
    .option('--eval-iters <n>', 'batches per split per evaluation', int, 50)
    .option('--eval-every <n>', 'also evaluate along the run and store the curve (default: only at the end)', int)
    .option('--batch-size <n>', 'batch', int, 12)
    .option('--json <file>', 'results file (JSON lines, appended; runs already in it are skipped; default: benchmarks/nanogpt/results/recipe/recipe-<iters>.jsonl)')
    .option('--dry-run', 'list the recipes and stop')
    .option('--top <n>', 'rows of the ranking printed at the end', int, 15)
    .action(async (o) => {
      const base = baseRecipe(o.base);
      const sweep: RecipeSweep = {
        base,
        set: o.set ?? [],
        vary: o.vary ?? [],
        seeds: Array.from({ length: o.seeds }, (_, i) => o.seed + i),
        iters: o.iters,
        evalIters: o.evalIters,
        evalEvery: o.evalEvery ?? o.iters,
        batchSize: o.batchSize,
      };
      const recipes = expandRecipes(sweep);
      const file = o.json ? resolve(o.json) : join(PACKAGE_DIR, 'results', 'recipe', `recipe-${o.iters}.jsonl`);
      if (o.dryRun) {
        for (const r of recipes) console.log(recipeDiff(r, base) || `(the ${o.base} recipe)`);
        console.log(`${recipes.length} recipe(s) × ${sweep.seeds.length} seed(s), ${o.iters} iterations → ${file}`);
        return;
      }
      const { data, config } = await prepareCorpus(o.data, CPU_CONFIG);
      const model = await createModel(o.backend, config);
      const points = recipePoints(sweep);
      try {
        await sweepQueue<RecipePoint, RecipeRecord>({
          file,
          accept: isRecipeRecord,
          pending: () => points,
          pointKey: (p) => recipePointKey(p, sweep),
          recordKey: recipeRecordKey,
          describe: (p) => `${recipeDiff(p.recipe, base) || `(the ${o.base} recipe)`} seed ${p.seed}`,
          run: (p) => runRecipePoint(model, data, sweep, p),
        });
      } finally {
        model.dispose();
      }
      const records = readRecords(file, isRecipeRecord);
      console.log(`\nall ${o.iters}-iteration recipes in ${file}, best first:\n${recipeTable(summarize(records, o.iters), o.top)}`);
    });
}
