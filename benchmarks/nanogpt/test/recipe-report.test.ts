import { describe, expect, it } from 'vitest';
import { PAPER_SCION, recipeId, type Recipe } from '@lmo/gpt';
import { bestRecipe, distinguishingLabels, recipeCurvesSvg, recipeLrCurves, recipeLrSvg, recipeTable, summarize, type RecipeRecord } from '../src/report/recipe-report.js';

function rec(recipe: Recipe, seed: number, loss: number | null, iters = 500): RecipeRecord {
  return {
    kind: 'recipe',
    id: recipeId(recipe),
    recipe,
    seed,
    iters,
    eval_iters: 50,
    batch_size: 12,
    n_layer: 4,
    n_head: 4,
    width: 128,
    block_size: 64,
    final_val_loss: loss,
    best_val_loss: loss,
    seconds: 1,
    backend: 'onnxruntime',
  };
}

const u = (over: Partial<Recipe>): Recipe => ({ ...PAPER_SCION, family: 'uscion', ...over });

describe('recipe sweep summaries', () => {
  const records = [
    rec(u({ lr: 2 ** -8 }), 1337, 2.0),
    rec(u({ lr: 2 ** -7 }), 1337, 1.9),
    rec(u({ lr: 2 ** -6 }), 1337, 2.05),
    rec(u({ lr: 2 ** -5 }), 1337, null),
    rec(u({ lr: 2 ** -7, schedule: 'linear' }), 1337, 1.95),
    rec(u({ lr: 2 ** -7 }), 1338, 1.7, 2000),
    rec(u({ lr: 2 ** -7 }), 1339, 1.8, 2000),
    rec(u({ lr: 2 ** -7 }), 1337, 1.6, 2000),
  ];

  it('ranks recipes of one length by mean loss, diverged last, seeds sorted', () => {
    const rows = summarize(records, 500);
    expect(rows.map((r) => r.recipe.lr)).toEqual([2 ** -7, 2 ** -7, 2 ** -8, 2 ** -6, 2 ** -5]);
    expect(rows[0]!.recipe.schedule).toBe('cosine');
    expect(Number.isNaN(rows[4]!.mean)).toBe(true);
    const three = summarize(records, 2000);
    expect(three).toHaveLength(1);
    expect(three[0]!.seeds).toEqual([1337, 1338, 1339]);
    // mean of 1.6, 1.7, 1.8 = 1.7; sample sd = 0.1
    expect(three[0]!.mean).toBeCloseTo(1.7, 12);
    expect(three[0]!.sd).toBeCloseTo(0.1, 12);
    expect(recipeTable(three)).toContain('| 1337, 1338, 1339 | 1.6000, 1.7000, 1.8000 | **1.7000** ± 0.1000 |');
    expect(recipeTable(rows)).toContain('diverged');
    // against a reference recipe: one column of what differs from it, nothing else of the recipe
    const relative = recipeTable(rows, 3, { name: 'the base', recipe: u({ lr: 2 ** -7 }) });
    expect(relative.split('\n')[0]).toBe('| # | differs from the base | seeds | final val loss | mean ± sd |');
    expect(relative).toContain('| 1 | (the base itself) | 1337 | 1.9000 | 1.9000 |');
    expect(relative).toContain('| 2 | schedule=linear | 1337 | 1.9500 | 1.9500 |');
    expect(relative).toContain('| 3 | lr=2^-8 | 1337 | 2.0000 | 2.0000 |');
    expect(relative.split('\n')).toHaveLength(5);
    expect(bestRecipe(rows, 1)?.mean).toBe(1.9);
    expect(bestRecipe(rows, 3)).toBeUndefined();
  });

  it('collects lr curves of recipes that differ only in lr (at least three lrs), with short labels', () => {
    const curves = recipeLrCurves(records, 500, 1337);
    expect(curves).toHaveLength(1);
    expect(curves[0]!.points.map((p) => p[0])).toEqual([2 ** -8, 2 ** -7, 2 ** -6, 2 ** -5]);
    expect(distinguishingLabels(['a=1 b=2 c=3', 'a=1 b=5 c=3'])).toEqual(['b=2', 'b=5']);
    const svg = recipeLrSvg(records, 500, 1337, 'lr')!;
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
    expect(recipeLrSvg(records, 1000, 1337, 'none')).toBeUndefined();
  });

  it('draws val-loss curves only of runs that stored evaluations', () => {
    const withEvals: RecipeRecord = { ...records[7]!, evals: [{ iter: 0, val_loss: 4.2, train_loss: 4.2 }, { iter: 250, val_loss: 2.4, train_loss: 2.4 }, { iter: 500, val_loss: 2.1, train_loss: 2.0 }] };
    expect(recipeCurvesSvg([{ label: 'x', record: records[0]! }], 't')).toBeUndefined();
    const svg = recipeCurvesSvg([{ label: 'tuned, seed 1337', record: withEvals }], 'curves')!;
    expect(svg.match(/<circle /g)).toHaveLength(2); // iteration 0 is left out
  });
});
