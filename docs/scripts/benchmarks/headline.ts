/**
 * The benchmark's headline numbers: the rows of `benchmarks/nanogpt/headline.json`, each read from the
 * result files it names — the three seeds of one optimizer, their final val losses, mean ± sd, the
 * mean val-loss curve and the commands that write the files. The Benchmarks page, the Tuning page and
 * the README check (docs/test/headline.test.ts) all read the headline through this one module. Pure.
 */
import { DEFAULT_OPTIMIZER, isOptimizerName, recipeId, recipeOf } from '@lmo/gpt';
import { isRecipeRecord, type RecipeRecord } from '@lmo/bench-nanogpt/report/recipe-report';
import { runCommand } from './commands.js';
import { parseResults, storageOf, type ResultFile, type Run } from './parse.js';
import { meanSd } from './tables.js';

/** `benchmarks/nanogpt/headline.json`: paths relative to the results folder. */
export interface HeadlineManifest {
  readonly iters: number;
  readonly rows: ReadonlyArray<{ readonly optimizer: string; readonly files?: readonly string[]; readonly recipe_file?: string; readonly plot?: boolean }>;
}

/** The headline: its length in iterations and its rows. */
export interface Headline {
  readonly iters: number;
  readonly rows: readonly HeadlineRow[];
}

/** One headline row: an optimizer (at one lr) over its seeds. */
export interface HeadlineRow {
  readonly optimizer: string;
  readonly lr: number;
  /** Whether this is what `pnpm nanogpt` trains without `--optimizer`. */
  readonly isDefault: boolean;
  /** How its runs stored weights and optimizer buffers (`float32`, `bfloat16 + kahan`, …: `storageOf`). */
  readonly storage: string;
  /** The recipe's id, for a row read from the recipe sweep's records. */
  readonly recipe?: string;
  /** Whether the Benchmarks page's plot shows it (the manifest's `"plot": false` leaves it out). */
  readonly plotted: boolean;
  readonly seeds: readonly number[];
  /** Final val loss per seed, in `seeds` order. */
  readonly losses: readonly number[];
  readonly mean: number;
  readonly sd: number;
  /** The result files, relative to the repository root. */
  readonly files: readonly string[];
  /** The commands that write them, from the repository root. */
  readonly commands: readonly string[];
  /** Mean val loss over the seeds at each evaluation they all made. */
  readonly curve: ReadonlyArray<readonly [iter: number, valLoss: number]>;
}

/** Checks the manifest's shape; throws naming the first thing wrong. */
export function parseHeadlineManifest(text: string, where = 'benchmarks/nanogpt/headline.json'): HeadlineManifest {
  const v = JSON.parse(text) as Partial<HeadlineManifest> | null;
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (v === null || typeof v !== 'object') return fail('not a JSON object');
  if (typeof v.iters !== 'number' || !Number.isInteger(v.iters)) fail('"iters" must be an integer');
  if (!Array.isArray(v.rows) || v.rows.length === 0) fail('"rows" must be a non-empty array');
  v.rows!.forEach((r, i) => {
    if (typeof r?.optimizer !== 'string') fail(`rows[${i}].optimizer must be a string`);
    const files = Array.isArray(r.files) && r.files.length > 0 && r.files.every((f) => typeof f === 'string');
    if (files === (typeof r.recipe_file === 'string')) fail(`rows[${i}] needs either "files" (a non-empty list) or "recipe_file", not both`);
    if (r.plot !== undefined && typeof r.plot !== 'boolean') fail(`rows[${i}].plot must be true or false`);
  });
  return v as HeadlineManifest;
}

/** Mean of the seeds' curves at the iterations every seed evaluated. */
function meanCurve(curves: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): [number, number][] {
  const maps = curves.map((c) => new Map(c));
  const iters = [...(maps[0]?.keys() ?? [])].filter((k) => maps.every((m) => m.has(k))).sort((a, b) => a - b);
  return iters.map((k) => [k, meanSd(maps.map((m) => m.get(k)!)).mean]);
}

function row(optimizer: string, runs: ReadonlyArray<{ seed: number; lr: number; loss: number; storage: string; curve: [number, number][] }>, files: string[], commands: string[], where: string): HeadlineRow {
  if (runs.length === 0) throw new Error(`${where}: no ${optimizer} run`);
  const lrs = [...new Set(runs.map((r) => r.lr))];
  if (lrs.length !== 1) throw new Error(`${where}: ${optimizer} runs at several learning rates (${lrs.join(', ')})`);
  const storages = [...new Set(runs.map((r) => r.storage))];
  if (storages.length !== 1) throw new Error(`${where}: ${optimizer} runs stored in several ways (${storages.join(', ')})`);
  const sorted = [...runs].sort((a, b) => a.seed - b.seed);
  const seeds = sorted.map((r) => r.seed);
  if (new Set(seeds).size !== seeds.length) throw new Error(`${where}: ${optimizer} has two runs of seed ${seeds.find((s, i) => seeds.indexOf(s) !== i)}`);
  const losses = sorted.map((r) => r.loss);
  const { mean, sd } = meanSd(losses);
  return { optimizer, lr: lrs[0]!, isDefault: optimizer === DEFAULT_OPTIMIZER && storages[0] === 'float32', storage: storages[0]!, plotted: true, seeds, losses, mean, sd, files, commands, curve: meanCurve(sorted.map((r) => r.curve)) };
}

/** `pnpm bench recipe` for a recipe's runs (resumable: seeds already in the file are skipped). */
function recipeCommand(optimizer: string, records: readonly RecipeRecord[], file: string): string {
  const r = records[0]!;
  const evalIters = r.evals?.map((e) => e.iter).sort((a, b) => a - b) ?? [];
  const every = evalIters.length > 2 ? evalIters[1]! - evalIters[0]! : undefined;
  const seeds = records.map((x) => x.seed);
  return [
    r.ort_threads !== undefined ? `NANOGPT_ORT_THREADS=${r.ort_threads} ` : '',
    `pnpm bench recipe --base ${optimizer} --seed ${Math.min(...seeds)} --seeds ${seeds.length} --iters ${r.iters} --eval-iters ${r.eval_iters}`,
    every !== undefined ? ` --eval-every ${every}` : '',
    ` --json ${file}`,
  ].join('');
}

/**
 * The headline rows, in the manifest's order, from the result files (paths relative to the repository
 * root; the manifest's paths are relative to `results`). Throws when a file is missing or a row has no
 * runs: a headline never silently shrinks.
 */
export function headlineRows(manifest: HeadlineManifest, files: readonly ResultFile[], results = 'benchmarks/nanogpt/results'): HeadlineRow[] {
  const RESULTS = results;
  const byPath = new Map(files.map((f) => [f.path, f]));
  const file = (name: string): ResultFile => {
    const f = byPath.get(`${RESULTS}/${name}`);
    if (!f) throw new Error(`benchmarks/nanogpt/headline.json names ${RESULTS}/${name}, which does not exist`);
    return f;
  };
  const read = (spec: HeadlineManifest['rows'][number]): HeadlineRow => {
    if (spec.recipe_file !== undefined) {
      const path = `${RESULTS}/${spec.recipe_file}`;
      const recipe = isOptimizerName(spec.optimizer) ? recipeOf(spec.optimizer) : undefined;
      if (!recipe) throw new Error(`benchmarks/nanogpt/headline.json: ${spec.optimizer} is not an optimizer that is a recipe`);
      const id = recipeId(recipe);
      const records = file(spec.recipe_file)
        .text.split(/\r?\n/)
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as unknown)
        .filter((v): v is RecipeRecord => isRecipeRecord(v) && v.id === id && v.iters === manifest.iters && v.final_val_loss !== null);
      const runs = records.map((r) => ({
        seed: r.seed,
        lr: r.recipe.lr,
        loss: r.final_val_loss!,
        storage: 'float32',
        curve: (r.evals ?? []).map((e) => [e.iter, e.val_loss] as [number, number]),
      }));
      return { ...row(spec.optimizer, runs, [path], records.length > 0 ? [recipeCommand(spec.optimizer, records, path)] : [], path), recipe: id };
    }
    const paths = spec.files!.map((f) => `${RESULTS}/${f}`);
    const { runs } = parseResults(spec.files!.map(file));
    const mine = runs.filter((r) => r.summary.optimizer === spec.optimizer && r.summary.iters === manifest.iters);
    const byFile = new Map<string, Run[]>();
    for (const r of runs) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
    return row(
      spec.optimizer,
      mine.map((r) => ({ seed: r.summary.seed, lr: r.summary.lr, loss: r.summary.final_val_loss, storage: storageOf(r.summary), curve: r.evals.map((e) => [e.iter, e.val_loss] as [number, number]) })),
      paths,
      paths.map((p) => runCommand(byFile.get(p)!)),
      paths.join(', '),
    );
  };
  return manifest.rows.map((spec) => ({ ...read(spec), plotted: spec.plot !== false }));
}

/** The optimizer with its storage where that is not float32: `scionlight (bfloat16 + kahan)`. */
export function withStorage(r: Pick<HeadlineRow, 'optimizer' | 'storage'>, name = r.optimizer): string {
  return r.storage === 'float32' ? name : `${name} (${r.storage})`;
}

/**
 * A row's name for tables and legends: the optimizer, with its lr where the headline has it at
 * several, and its storage where that is not float32.
 */
export function headlineName(r: HeadlineRow, rows: readonly HeadlineRow[], lrText: (lr: number) => string): string {
  return withStorage(r, rows.some((o) => o.optimizer === r.optimizer && o.lr !== r.lr) ? `${r.optimizer} at ${lrText(r.lr)}` : r.optimizer);
}
