/** Data and axis helpers of the playground's loss chart. */

/** One curve: a line of [step, loss] pairs and dots (validation points). */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly line: ReadonlyArray<readonly [number, number]>;
  readonly dots: ReadonlyArray<readonly [number, number]>;
}

/**
 * Round tick values covering [lo, hi], at least `min` of them: the same axes as the benchmark's SVG
 * charts (`niceTicks` of its report code).
 */
export { niceTicks } from '@lmo/bench-nanogpt/report/plot-svg';

/** Exponential moving average (weight 0.9 on the past) of per-step values, as [step, value] from step 1. */
export function smoothed(values: readonly number[]): Array<readonly [number, number]> {
  let avg = 0;
  return values.map((v, i) => {
    avg = i === 0 ? v : 0.9 * avg + 0.1 * v;
    return [i + 1, avg] as const;
  });
}
