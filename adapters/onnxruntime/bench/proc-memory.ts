/** A process's resident memory from Linux's /proc/self (for the memory benches). */
import { readFileSync, writeFileSync } from 'node:fs';

/** Resident and peak resident memory (MiB) from /proc/self/status. */
export function memory(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)![1]) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Starts a peak measurement: the resident memory now, and VmHWM reset to it. */
export function measureFrom(): { rss: number } {
  const now = memory();
  writeFileSync('/proc/self/clear_refs', '5');
  return now;
}
