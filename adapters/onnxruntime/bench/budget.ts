/** The memory budget of bench/gpt-budget.ts: its parsing, and the search for the widest model within it. */

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/**
 * Bytes of a size written with its unit: `512MiB`, `1GiB`, `1.5 GiB` (binary: KiB, MiB, GiB) or
 * `768MB` (decimal: kB, MB, GB), `4096B`; units in any case. A bare number, an unknown unit or a
 * size under one byte is an error that names `name` and what was expected.
 */
export function parseBytes(text: string, name = '--budget'): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?\s*$/i.exec(text);
  const expected = `expected a size with its unit, e.g. 512MiB, 1GiB, 768MB (units: B, kB, MB, GB, KiB, MiB, GiB)`;
  if (m === null) throw new Error(`${name} "${text}" is not a size; ${expected}`);
  if (m[2] === undefined) throw new Error(`${name} "${text}" has no unit; ${expected}`);
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) throw new Error(`${name} "${text}" has an unknown unit "${m[2]}"; ${expected}`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1) throw new Error(`${name} "${text}" is under one byte; ${expected}`);
  return bytes;
}

/** `bytes` as the largest binary unit it reaches: `512 MiB`, `1.5 GiB`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}

/**
 * The largest `k` in [1, `max`] for which `fits(k)` holds, or 0 when `fits(1)` does not, assuming
 * that whatever fits, every smaller `k` fits too: doubling `k` from 1 until it does not fit (or
 * reaches `max`), then halving the interval between the last that fitted and the first that did
 * not. Calls `fits` about 2·log₂(answer) times, never twice with the same `k`.
 */
export async function largestFitting(fits: (k: number) => Promise<boolean>, max: number): Promise<number> {
  if (!Number.isInteger(max) || max < 1) throw new Error(`max must be a positive integer, got ${max}`);
  if (!(await fits(1))) return 0;
  let lo = 1; // fits
  let hi = max + 1; // does not fit (or is past max)
  for (let k = 2; k <= max; k *= 2) {
    if (!(await fits(k))) {
      hi = k;
      break;
    }
    lo = k;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
