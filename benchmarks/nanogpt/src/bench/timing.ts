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
