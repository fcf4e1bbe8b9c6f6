/** Data and axis helpers of the playground's loss chart. */

/** One curve: a line of [step, loss] pairs and dots (validation points). */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly line: ReadonlyArray<readonly [number, number]>;
  readonly dots: ReadonlyArray<readonly [number, number]>;
}

/** About `count` round tick values (steps of 1, 2 or 5 × 10ᵏ) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** Exponential moving average (weight 0.9 on the past) of per-step values, as [step, value] from step 1. */
export function smoothed(values: readonly number[]): Array<readonly [number, number]> {
  let avg = 0;
  return values.map((v, i) => {
    avg = i === 0 ? v : 0.9 * avg + 0.1 * v;
    return [i + 1, avg] as const;
  });
}
