/** Wall-clock and CPU time of a section (CPU time is what this process itself used: robust on a busy machine). */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export async function timeIt(fn: () => Promise<void> | void): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

/** Per-run times of a section timed run by run. */
export interface Samples {
  readonly wallMs: readonly number[];
  readonly cpuMs: readonly number[];
}

/** Runs `fn` `warmup` times untimed, then `iters` times, timing each run. */
export async function sampleIt(iters: number, warmup: number, fn: () => Promise<unknown> | unknown): Promise<Samples> {
  for (let i = 0; i < warmup; i++) await fn();
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t = await timeIt(async () => {
      await fn();
    });
    wallMs.push(t.wallMs);
    cpuMs.push(t.cpuMs);
  }
  return { wallMs, cpuMs };
}

/**
 * The `q`-quantile of `xs` (0 ≤ q ≤ 1): linear interpolation between the order statistics around
 * position `(n − 1)·q` (numpy's default; the Python side of the torch benchmark uses the same).
 */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new RangeError('quantile of no samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Median, 10th and 90th percentiles and mean of a set of samples. */
export interface Summary {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly mean: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    median: quantile(xs, 0.5),
    p10: quantile(xs, 0.1),
    p90: quantile(xs, 0.9),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}
