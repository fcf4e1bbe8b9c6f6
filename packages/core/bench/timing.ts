/**
 * Sample recording for the benches: wall-clock and process CPU time of every call, so that the
 * summaries stay meaningful on a shared, noisy machine (CPU time is not inflated by waiting for a
 * core, wall time is what a user sees).
 */
export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

const samples = new Map<string, Sample[]>();

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Wraps `fn` so that each call's timings are recorded under `key`. */
export function timed(key: string, fn: () => void): () => void {
  return () => {
    const w0 = performance.now();
    const c0 = cpuMs();
    fn();
    const sample = { wallMs: performance.now() - w0, cpuMs: cpuMs() - c0 };
    let list = samples.get(key);
    if (list === undefined) samples.set(key, (list = []));
    list.push(sample);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Median wall and CPU milliseconds recorded under `key` (warm-up calls included). */
export function medians(key: string): Sample {
  const list = samples.get(key) ?? [];
  return { wallMs: median(list.map((s) => s.wallMs)), cpuMs: median(list.map((s) => s.cpuMs)) };
}
