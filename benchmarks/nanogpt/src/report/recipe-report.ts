import { recipeDiff, type Recipe } from '@lmo/gpt';
import { lineChartSvg, PALETTE, type Series } from './plot-svg.js';
import { lossOf, sweepRecordFields, type SweepRecordFields } from './sweep-record.js';
import { argminFinite, lrChartSvg, lrLabel, meanSd } from './transfer-report.js';

/**
 * The recipe sweep's records and their summaries: a ranking per run length, mean ± sd over seeds,
 * loss-against-lr curves of the recipe variants swept over several lrs, and the val-loss curves of
 * the confirmation runs. Pure (the docs site builds its page with it).
 */

/** One finished run of the recipe sweep (a line of its results file). */
export interface RecipeRecord extends SweepRecordFields {
  readonly kind: 'recipe';
  /** The recipe as `key=value` pairs (see `recipeId`). */
  readonly id: string;
  readonly recipe: Recipe;
  /** Evaluations along the run, when it evaluated before the end. */
  readonly evals?: ReadonlyArray<{ readonly iter: number; readonly val_loss: number; readonly train_loss: number }>;
}

export function isRecipeRecord(v: unknown): v is RecipeRecord {
  const r = sweepRecordFields(v, 'recipe', ['seed', 'iters', 'eval_iters', 'batch_size', 'seconds', 'width']);
  return r !== undefined && typeof r.id === 'string' && typeof r.recipe === 'object' && r.recipe !== null;
}

/** One recipe's runs of one length: the seeds' final val losses. */
export interface RecipeSummary {
  readonly id: string;
  readonly recipe: Recipe;
  readonly iters: number;
  readonly seeds: readonly number[];
  readonly losses: readonly number[];
  /** Mean over seeds (NaN when any diverged). */
  readonly mean: number;
  readonly sd: number;
}

/** Groups records by (iters, recipe); sorted by mean loss (diverged last), ties in file order. */
export function summarize(records: readonly RecipeRecord[], iters: number): RecipeSummary[] {
  const groups = new Map<string, RecipeRecord[]>();
  for (const r of records) if (r.iters === iters) groups.set(r.id, [...(groups.get(r.id) ?? []), r]);
  const out = [...groups.values()].map((rs) => {
    const sorted = [...rs].sort((a, b) => a.seed - b.seed);
    const losses = sorted.map(lossOf);
    const { mean, sd } = meanSd(losses);
    return { id: rs[0]!.id, recipe: rs[0]!.recipe, iters, seeds: sorted.map((r) => r.seed), losses, mean, sd };
  });
  const key = (s: RecipeSummary): number => (Number.isFinite(s.mean) ? s.mean : Number.POSITIVE_INFINITY);
  return out.map((s, i) => ({ s, i })).sort((a, b) => key(a.s) - key(b.s) || a.i - b.i).map(({ s }) => s);
}

const KEYS: readonly (keyof Recipe)[] = ['family', 'lr', 'momentum', 'hidden', 'gains', 'positions', 'embedding', 'schedule', 'warmup', 'decay', 'ortho'];

function valueText(k: keyof Recipe, r: Recipe): string {
  const v = r[k];
  if (k === 'decay' && r.schedule !== 'wsd') return '–';
  if (k === 'lr' && typeof v === 'number') return lrLabel(v);
  return String(v);
}

/** A recipe to write the others against: its name and its values. */
export interface RecipeReference {
  readonly name: string;
  readonly recipe: Recipe;
}

/**
 * A markdown table of summaries: rank, the recipe, seeds, losses and mean ± sd. The recipe is a column
 * per key, or, given `relativeTo`, one column of the keys in which it differs from that recipe (a
 * table narrow enough for a page, showing exactly what tells the recipes apart).
 */
export function recipeTable(rows: readonly RecipeSummary[], limit = rows.length, relativeTo?: RecipeReference): string {
  const head = ['#', ...(relativeTo ? [`differs from ${relativeTo.name}`] : KEYS.map(String)), 'seeds', 'final val loss', 'mean ± sd'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  rows.slice(0, limit).forEach((s, i) => {
    const losses = s.losses.map((v) => (Number.isFinite(v) ? v.toFixed(4) : 'diverged')).join(', ');
    const mean = Number.isFinite(s.mean) ? (s.losses.length > 1 ? `**${s.mean.toFixed(4)}** ± ${s.sd.toFixed(4)}` : s.mean.toFixed(4)) : 'diverged';
    const diff = relativeTo ? recipeDiff(s.recipe, relativeTo.recipe) : '';
    const recipe = relativeTo ? [diff === '' ? `(${relativeTo.name} itself)` : diff.replace(/ /g, ', ')] : KEYS.map((k) => valueText(k, s.recipe));
    lines.push(`| ${i + 1} | ${recipe.join(' | ')} | ${s.seeds.join(', ')} | ${losses} | ${mean} |`);
  });
  return lines.join('\n');
}

/** A recipe's identity without its lr: the curve it belongs to in the lr plot. */
function withoutLr(id: string): string {
  return id
    .split(' ')
    .filter((kv) => !kv.startsWith('lr='))
    .join(' ');
}

/** The lr curves of a sweep: recipes that differ only in lr, swept over at least `minPoints` lrs (base seed). */
export function recipeLrCurves(
  records: readonly RecipeRecord[],
  iters: number,
  seed: number,
  minPoints = 3,
): { label: string; points: [number, number][] }[] {
  const groups = new Map<string, Map<number, number>>();
  for (const r of records) {
    if (r.iters !== iters || r.seed !== seed) continue;
    const k = withoutLr(r.id);
    const m = groups.get(k) ?? new Map<number, number>();
    m.set(r.recipe.lr, lossOf(r));
    groups.set(k, m);
  }
  return [...groups]
    .filter(([, m]) => m.size >= minPoints)
    .map(([label, m]) => ({ label, points: [...m].sort((a, b) => a[0] - b[0]) }));
}

/** Short labels for curves: only the keys in which the curves differ from each other. */
export function distinguishingLabels(labels: readonly string[]): string[] {
  const parsed = labels.map((l) => new Map(l.split(' ').map((kv) => kv.split('=') as [string, string])));
  const keys = [...new Set(parsed.flatMap((m) => [...m.keys()]))].filter((k) => new Set(parsed.map((m) => m.get(k))).size > 1);
  return parsed.map((m) => (keys.length === 0 ? 'recipe' : keys.map((k) => `${k}=${m.get(k) ?? '–'}`).join(' ')));
}

/** Val loss against lr (log axis) for every recipe variant swept over several lrs. */
export function recipeLrSvg(records: readonly RecipeRecord[], iters: number, seed: number, title: string): string | undefined {
  const curves = recipeLrCurves(records, iters, seed);
  if (curves.length === 0) return undefined;
  const labels = distinguishingLabels(curves.map((c) => c.label));
  const series: Series[] = curves.map((c, i) => ({
    label: labels[i]!,
    color: PALETTE[i % PALETTE.length]!,
    dashed: i >= PALETTE.length,
    points: c.points,
  }));
  const finite = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.min(Math.max(...finite), lo + 0.6);
  return lrChartSvg(series, title, [lo - 0.02, hi + 0.02]);
}

/** Val loss against iteration of the recipes' runs that stored their evaluations (one curve per run). */
export function recipeCurvesSvg(
  runs: ReadonlyArray<{ readonly label: string; readonly record: RecipeRecord }>,
  title: string,
): string | undefined {
  const withEvals = runs.filter((r) => (r.record.evals?.length ?? 0) > 1);
  if (withEvals.length === 0) return undefined;
  const series: Series[] = withEvals.map((r, i) => ({
    label: r.label,
    color: PALETTE[i % PALETTE.length]!,
    points: r.record.evals!.filter((e) => e.iter > 0).map((e) => [e.iter, e.val_loss] as const),
  }));
  return lineChartSvg(series, { title, xLabel: 'iteration', yLabel: 'val loss' });
}

/** The best summary with at least `minSeeds` seeds (lowest mean), if any. */
export function bestRecipe(rows: readonly RecipeSummary[], minSeeds: number): RecipeSummary | undefined {
  const eligible = rows.filter((r) => r.losses.length >= minSeeds);
  const i = argminFinite(eligible.map((r) => r.mean));
  return i < 0 ? undefined : eligible[i];
}
