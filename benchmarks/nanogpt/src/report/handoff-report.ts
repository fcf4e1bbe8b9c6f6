/**
 * The handoff check's records and what they show: for each run handed over, how close its first
 * steps are to the run it continues (relative loss difference), how far the two drift apart by the
 * end, and where its final loss falls against the seed spread of lmo's straight runs; and its plots.
 */
import { lineChartSvg, PALETTE, stackSvg, type Series } from './plot-svg.js';

/** Which side trained which part: `lmo`, `torch`, `torch-ddp` straight; `a→b` handed from a to b. */
export type HandoffRunKind = 'lmo' | 'lmo→torch' | 'lmo→torch-ddp' | 'torch' | 'torch→lmo' | 'torch-ddp' | 'torch-ddp→lmo';

/** One run of the check (a JSON line of its results file). */
export interface HandoffRecord {
  readonly handoff: true;
  readonly optimizer: string;
  readonly lr: number;
  readonly seed: number;
  readonly run: HandoffRunKind;
  /** The step it was handed over at (`null` for a straight run). */
  readonly handoff_at: number | null;
  /** lmo's model backend. */
  readonly lmo_backend: string;
  /** PyTorch processes (DistributedDataParallel when > 1). */
  readonly processes: number;
  readonly iters: number;
  readonly seconds: number;
  /** `[iteration, training loss]` of each iteration this run trained. */
  readonly losses: ReadonlyArray<readonly [number, number]>;
  /** `[iteration, train loss, val loss]` of each evaluation this run made. */
  readonly evals: ReadonlyArray<readonly [number, number, number]>;
}

const RUNS: readonly HandoffRunKind[] = ['lmo', 'lmo→torch', 'lmo→torch-ddp', 'torch', 'torch→lmo', 'torch-ddp', 'torch-ddp→lmo'];

/** The run each handed-over run continues (same seed): its reference for the comparison. */
export const REFERENCE: Readonly<Partial<Record<HandoffRunKind, HandoffRunKind>>> = {
  'lmo→torch': 'lmo',
  'lmo→torch-ddp': 'lmo',
  'torch→lmo': 'torch',
  'torch-ddp→lmo': 'torch-ddp',
  torch: 'lmo',
  'torch-ddp': 'lmo',
};

export function isHandoffRecord(v: unknown): v is HandoffRecord {
  const r = v as Partial<HandoffRecord> | null;
  return (
    r !== null &&
    typeof r === 'object' &&
    r.handoff === true &&
    typeof r.optimizer === 'string' &&
    Number.isSafeInteger(r.seed) &&
    RUNS.includes(r.run as HandoffRunKind) &&
    Array.isArray(r.losses) &&
    Array.isArray(r.evals)
  );
}

/** The records of a JSON-lines text (other lines are skipped). */
export function parseHandoffRecords(text: string): HandoffRecord[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as unknown)
    .filter(isHandoffRecord);
}

/** How a run compares with the run it continues. */
export interface Comparison {
  readonly run: HandoffRunKind;
  readonly reference: HandoffRunKind;
  readonly handoffAt: number | null;
  /** The largest relative training-loss difference over the first `FIRST` iterations after the handoff. */
  readonly firstSteps: number;
  /** The relative difference of the evaluation at the handoff (same weights on both sides). */
  readonly atHandoff: number;
  /** The mean relative training-loss difference over the last `LAST` iterations. */
  readonly lastSteps: number;
  readonly finalVal: number;
  readonly referenceFinalVal: number;
}

/** One optimizer's check. */
export interface OptimizerSummary {
  readonly optimizer: string;
  /** lmo's straight runs: final val loss per seed, their mean, sample standard deviation and range. */
  readonly seeds: ReadonlyArray<readonly [seed: number, finalVal: number]>;
  readonly mean: number;
  readonly sd: number;
  readonly range: number;
  readonly comparisons: readonly Comparison[];
}

/** Iterations after the handoff that must agree to 1e-4; iterations at the end the drift is averaged over. */
export const FIRST = 5;
export const LAST = 50;

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
const finalVal = (r: HandoffRecord): number => r.evals[r.evals.length - 1]?.[2] ?? Number.NaN;

function compare(run: HandoffRecord, ref: HandoffRecord): Comparison {
  const refLoss = new Map(ref.losses.map(([i, l]) => [i, l]));
  const from = run.handoff_at ?? 0;
  const diffs = run.losses.filter(([i]) => refLoss.has(i)).map(([i, l]) => [i, rel(l, refLoss.get(i)!)] as const);
  const first = diffs.filter(([i]) => i < from + FIRST).map(([, d]) => d);
  const end = run.iters;
  const last = diffs.filter(([i]) => i >= end - LAST).map(([, d]) => d);
  const evalAt = (r: HandoffRecord): number | undefined => r.evals.find(([i]) => i === from)?.[2];
  const a = evalAt(run);
  const b = evalAt(ref);
  return {
    run: run.run,
    reference: ref.run,
    handoffAt: run.handoff_at,
    firstSteps: first.length > 0 ? Math.max(...first) : Number.NaN,
    atHandoff: a !== undefined && b !== undefined ? rel(a, b) : Number.NaN,
    lastSteps: last.length > 0 ? last.reduce((s, d) => s + d, 0) / last.length : Number.NaN,
    finalVal: finalVal(run),
    referenceFinalVal: finalVal(ref),
  };
}

/** The check's summary, one entry per optimizer, in the order the records first name them. */
export function summarizeHandoff(records: readonly HandoffRecord[]): OptimizerSummary[] {
  const optimizers = [...new Set(records.map((r) => r.optimizer))];
  return optimizers.map((optimizer) => {
    const mine = records.filter((r) => r.optimizer === optimizer);
    const straight = mine.filter((r) => r.run === 'lmo');
    const seeds = straight.map((r) => [r.seed, finalVal(r)] as const);
    const vals = seeds.map(([, v]) => v);
    const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
    const sd = vals.length > 1 ? Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (vals.length - 1)) : Number.NaN;
    const comparisons = mine.flatMap((r) => {
      const kind = REFERENCE[r.run];
      const ref = kind === undefined ? undefined : mine.find((x) => x.run === kind && x.seed === r.seed);
      return ref === undefined ? [] : [compare(r, ref)];
    });
    return { optimizer, seeds, mean, sd, range: Math.max(...vals) - Math.min(...vals), comparisons };
  });
}

/** A run's name for tables and legends. */
const LABEL: Record<HandoffRunKind, string> = {
  lmo: 'lmo',
  'lmo→torch': 'lmo → PyTorch',
  'lmo→torch-ddp': 'lmo → PyTorch DDP',
  torch: 'PyTorch',
  'torch→lmo': 'PyTorch → lmo',
  'torch-ddp': 'PyTorch DDP',
  'torch-ddp→lmo': 'PyTorch DDP → lmo',
};

const exp = (v: number): string => (Number.isFinite(v) ? v.toExponential(1) : '–');

/** The summary as a markdown table per optimizer. */
export function handoffTable(s: OptimizerSummary): string {
  const rows = s.comparisons.map((c) => {
    const diff = c.finalVal - c.referenceFinalVal;
    return `| ${LABEL[c.run]} | ${LABEL[c.reference]} | ${c.handoffAt ?? '–'} | ${exp(c.atHandoff)} | ${exp(c.firstSteps)} | ${exp(c.lastSteps)} | ${c.finalVal.toFixed(4)} | ${diff >= 0 ? '+' : '−'}${Math.abs(diff).toExponential(1)} |`;
  });
  return [
    `lmo straight, seeds ${s.seeds.map(([seed]) => seed).join(', ')}: final val loss ${s.seeds.map(([, v]) => v.toFixed(4)).join(', ')} (mean ${s.mean.toFixed(4)}, sd ${s.sd.toFixed(4)}, range ${s.range.toFixed(4)}).`,
    '',
    `| run | compared with | handed over at | eval there (rel. diff.) | next ${FIRST} steps (max rel. diff.) | last ${LAST} steps (mean rel. diff.) | final val loss | − the other's |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The moving average of `[x, y]` points over `w` points, one point every `every`. */
function smooth(points: ReadonlyArray<readonly [number, number]>, w: number, every: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = w - 1; i < points.length; i += every) {
    let s = 0;
    for (let k = i - w + 1; k <= i; k++) s += points[k]![1];
    out.push([points[i]![0], s / w]);
  }
  return out;
}

/**
 * Two charts of one optimizer's check, one above the other: the training loss (moving average over 10 iterations) of
 * every run of the first seed, and the relative loss difference of each handed-over run from the
 * run it continues (log₁₀ of the relative difference per iteration, averaged over 5 iterations).
 */
export function handoffSvg(records: readonly HandoffRecord[], optimizer: string): string {
  const mine = records.filter((r) => r.optimizer === optimizer);
  const seed = mine.find((r) => r.run !== 'lmo')?.seed ?? mine[0]?.seed;
  const runs = RUNS.flatMap((kind) => mine.filter((r) => r.run === kind && r.seed === seed));
  const colour = (kind: HandoffRunKind): string => PALETTE[RUNS.indexOf(kind) % PALETTE.length]!;
  const curves: Series[] = runs.map((r) => {
    const ref = REFERENCE[r.run];
    const full = ref !== undefined && r.handoff_at !== null ? [...mine.find((x) => x.run === ref && x.seed === seed)!.losses.filter(([i]) => i < r.handoff_at!), ...r.losses] : r.losses;
    return { label: LABEL[r.run], color: colour(r.run), dashed: r.run.includes('→'), points: smooth(full, 10, 5) };
  });
  const drift: Series[] = runs.flatMap((r) => {
    const kind = REFERENCE[r.run];
    const ref = kind === undefined ? undefined : mine.find((x) => x.run === kind && x.seed === seed);
    if (ref === undefined) return [];
    const refLoss = new Map(ref.losses.map(([i, l]) => [i, l]));
    const points = r.losses.filter(([i]) => refLoss.has(i)).map(([i, l]) => [i, Math.log10(Math.max(rel(l, refLoss.get(i)!), 1e-9))] as [number, number]);
    return [{ label: `${LABEL[r.run]} vs ${LABEL[kind!]}`, color: colour(r.run), points: smooth(points, 5, 5) }];
  });
  return stackSvg([
    lineChartSvg(curves, { title: `${optimizer}: training loss (seed ${seed}, mean of 10 iterations)`, xLabel: 'iteration', yLabel: 'loss' }),
    lineChartSvg(drift, { title: `${optimizer}: relative loss difference from the run it continues`, xLabel: 'iteration', yLabel: 'log10 |Δ loss| / loss', yRange: [-9, 0] }),
  ]);
}
