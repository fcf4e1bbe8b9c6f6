import { lineChartSvg, PALETTE, stackSvg, type Series } from './plot-svg.js';
import { lossOf, lossOrNull, sweepRecordFields, type SweepRecordFields } from './sweep-record.js';

/**
 * The learning-rate transfer sweep's records and what is read from them: the best lr per width and
 * optimizer, how far it moves with width, and the paper's plot (val loss against lr, a curve per
 * width). Pure: no file system, no training (the docs site builds its page with it).
 */

/** One finished run of the transfer sweep (a line of its results file). */
export interface TransferRecord extends SweepRecordFields {
  readonly kind: 'transfer';
  readonly optimizer: string;
  readonly lr: number;
}

export function isTransferRecord(v: unknown): v is TransferRecord {
  const r = sweepRecordFields(v, 'transfer', ['width', 'n_head', 'n_layer', 'block_size', 'batch_size', 'lr', 'seed', 'iters', 'eval_iters', 'seconds']);
  return r !== undefined && typeof r.optimizer === 'string' && lossOrNull(r.best_val_loss);
}

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

/** Index of the smallest finite value (first on ties), -1 when none is finite. */
export function argminFinite(values: readonly number[]): number {
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < values[best]!)) best = i;
  });
  return best;
}

/** The lr curve of one optimizer at one width, on the sweep's base seed. */
export interface LrCurve {
  readonly optimizer: string;
  readonly width: number;
  /** (lr, final val loss) sorted by lr; NaN for diverged runs. */
  readonly points: ReadonlyArray<readonly [lr: number, loss: number]>;
}

/** Curves per (optimizer, width) from the records of `seed`, optimizers in first-seen order, widths ascending. */
export function lrCurves(records: readonly TransferRecord[], seed: number): LrCurve[] {
  const map = new Map<string, Map<number, Map<number, number>>>();
  for (const r of records) {
    if (r.seed !== seed) continue;
    const byWidth = map.get(r.optimizer) ?? new Map<number, Map<number, number>>();
    map.set(r.optimizer, byWidth);
    const byLr = byWidth.get(r.width) ?? new Map<number, number>();
    byWidth.set(r.width, byLr);
    byLr.set(r.lr, lossOf(r));
  }
  const out: LrCurve[] = [];
  for (const [optimizer, byWidth] of map) {
    for (const width of [...byWidth.keys()].sort((a, b) => a - b)) {
      const points = [...byWidth.get(width)!].sort((a, b) => a[0] - b[0]);
      out.push({ optimizer, width, points });
    }
  }
  return out;
}

/**
 * The x of the vertex of the parabola through three points (x ascending):
 * `x₂ − ½·[(x₂−x₁)²(y₂−y₃) − (x₂−x₃)²(y₂−y₁)] / [(x₂−x₁)(y₂−y₃) − (x₂−x₃)(y₂−y₁)]`.
 * Undefined when the points are collinear.
 */
export function parabolaVertex(p: ReadonlyArray<readonly [number, number]>): number | undefined {
  const [[x1, y1], [x2, y2], [x3, y3]] = p as [readonly [number, number], readonly [number, number], readonly [number, number]];
  const den = (x2 - x1) * (y2 - y3) - (x2 - x3) * (y2 - y1);
  if (den === 0) return undefined;
  return x2 - (0.5 * ((x2 - x1) ** 2 * (y2 - y3) - (x2 - x3) ** 2 * (y2 - y1))) / den;
}

/** The best lr of one curve and the seeds run there. */
export interface BestLr {
  readonly optimizer: string;
  readonly width: number;
  readonly nHead: number;
  readonly lr: number;
  /** The base seed's final val loss at `lr`. */
  readonly loss: number;
  /** Whether a smaller and a larger lr were tried (the minimum is bracketed). */
  readonly bracketed: boolean;
  /**
   * When bracketed: log₂ of the vertex of the parabola through the minimum and its two neighbours
   * (in log₂ lr), an estimate of the optimum between grid points.
   */
  readonly vertexLog2?: number;
  /** Final val losses of every seed run at `lr`, base seed first. */
  readonly seedLosses: readonly number[];
}

/** The best lr per curve (base seed), with the losses of every seed at it. */
export function bestLrs(records: readonly TransferRecord[], seed: number): BestLr[] {
  return lrCurves(records, seed).flatMap((c) => {
    const i = argminFinite(c.points.map((p) => p[1]));
    if (i < 0) return [];
    const [lr, loss] = c.points[i]!;
    const others = records
      .filter((r) => r.optimizer === c.optimizer && r.width === c.width && r.lr === lr && r.seed !== seed)
      .sort((a, b) => a.seed - b.seed)
      .map(lossOf);
    const nHead = records.find((r) => r.optimizer === c.optimizer && r.width === c.width)!.n_head;
    const bracketed = i > 0 && i < c.points.length - 1;
    const around = bracketed ? ([c.points[i - 1]!, c.points[i]!, c.points[i + 1]!] as const) : undefined;
    const vertex = around && around.every((p) => Number.isFinite(p[1])) ? parabolaVertex(around.map(([x, y]) => [Math.log2(x), y] as const)) : undefined;
    return [{ optimizer: c.optimizer, width: c.width, nHead, lr, loss, bracketed, ...(vertex !== undefined ? { vertexLog2: vertex } : {}), seedLosses: [loss, ...others] }];
  });
}

/** `2^k` for exact powers of two, else 3 significant digits. */
export function lrLabel(lr: number): string {
  const k = Math.log2(lr);
  if (Number.isInteger(k)) return `2^${k}`;
  return Number(lr.toPrecision(3)).toExponential().replace(/e([+-])(\d+)$/, (_, s: string, d: string) => `e${s === '-' ? '-' : ''}${d}`);
}

const SUPERSCRIPT: Readonly<Record<string, string>> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** {@link lrLabel} for charts: `2⁻⁸` with a superscript exponent. */
export function lrChartLabel(lr: number): string {
  return lrLabel(lr).replace(/^2\^(-?\d+)$/, (_, k: string) => `2${[...k].map((c) => SUPERSCRIPT[c] ?? c).join('')}`);
}

/** Final val loss against lr: a log axis with a tick at every lr run, labelled `2⁻⁸` and the like. */
export function lrChartSvg(series: readonly Series[], title: string, yRange: readonly [number, number]): string {
  const lrs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  return lineChartSvg(series, { title, xLabel: 'learning rate (log scale)', yLabel: 'final val loss', xLog: true, xTicks: lrs, xFormat: lrChartLabel, yRange });
}

/** How far the best lr moves across widths: max/min of the best lrs, as a factor and in octaves (log₂). */
export function lrShift(best: readonly BestLr[]): { factor: number; octaves: number } {
  const lrs = best.map((b) => b.lr);
  const factor = Math.max(...lrs) / Math.min(...lrs);
  return { factor, octaves: Math.log2(factor) };
}

/**
 * The markdown table: optimizer, width, best lr ("at the grid's edge" when not bracketed), the final
 * val loss of every seed run there (base seed first), their mean ± sd, and the parabola's vertex.
 */
export function bestLrTable(best: readonly BestLr[]): string {
  const lines = [
    '| optimizer | width | best lr | final val loss per seed | mean ± sd | parabola vertex: log₂ lr |',
    '|---|---|---|---|---|---|',
  ];
  for (const b of best) {
    const finite = b.seedLosses.filter(Number.isFinite);
    const { mean, sd } = meanSd(finite);
    const seeds = b.seedLosses.map((v) => (Number.isFinite(v) ? v.toFixed(4) : 'diverged')).join(', ');
    lines.push(
      `| ${b.optimizer} | ${b.width} | ${lrLabel(b.lr)}${b.bracketed ? '' : ' (at the grid\'s edge)'} | ${seeds} | ${finite.length > 1 ? `${mean.toFixed(4)} ± ${sd.toFixed(4)}` : '–'} | ${b.vertexLog2 !== undefined ? b.vertexLog2.toFixed(2) : '–'} |`,
    );
  }
  return lines.join('\n');
}

/** Per optimizer: the best lr at each width and how far it moves, one line each. */
export function shiftSummary(best: readonly BestLr[]): string[] {
  const byOpt = new Map<string, BestLr[]>();
  for (const b of best) byOpt.set(b.optimizer, [...(byOpt.get(b.optimizer) ?? []), b]);
  return [...byOpt].map(([opt, list]) => {
    const { factor, octaves } = lrShift(list);
    const path = list.map((b) => `${b.width}: ${lrLabel(b.lr)}`).join(', ');
    let line = `${opt}: best lr ${path} — a spread of ${Number(factor.toPrecision(3))}× (${Number(octaves.toFixed(2))} octave${Number(octaves.toFixed(2)) === 1 ? '' : 's'}) across widths`;
    const vertices = list.filter((b) => b.vertexLog2 !== undefined);
    if (vertices.length >= 2) {
      const v = vertices.map((b) => b.vertexLog2!);
      line += `; parabola vertices ${vertices.map((b) => `${b.width}: 2^${b.vertexLog2!.toFixed(2)}`).join(', ')} (a spread of ${(Math.max(...v) - Math.min(...v)).toFixed(2)} octaves)`;
    }
    return line;
  });
}

/**
 * The paper's figure: one panel per optimizer (final val loss against lr on a log axis, one curve
 * per width, the base seed), panels one above the other on a shared y range.
 */
export function transferSvg(records: readonly TransferRecord[], seed: number, title: (optimizer: string) => string): string {
  const curves = lrCurves(records, seed);
  const finite = curves.flatMap((c) => c.points.map((p) => p[1])).filter(Number.isFinite);
  if (finite.length === 0) return stackSvg([]);
  const lo = Math.min(...finite);
  const hi = Math.min(Math.max(...finite), lo + 1.2);
  const pad = (hi - lo) * 0.05 || 0.05;
  const widths = [...new Set(curves.map((c) => c.width))].sort((a, b) => a - b);
  const optimizers = [...new Set(curves.map((c) => c.optimizer))];
  const panels = optimizers.map((opt) => {
    const series: Series[] = curves
      .filter((c) => c.optimizer === opt)
      .map((c) => ({ label: `width ${c.width}`, color: PALETTE[widths.indexOf(c.width) % PALETTE.length]!, points: c.points }));
    return lrChartSvg(series, title(opt), [lo - pad, hi + pad]);
  });
  return stackSvg(panels);
}
