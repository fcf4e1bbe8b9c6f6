import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process with this PID exists (one of another user's too: signalling it is refused, not unknown). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The names of what `writeFileAtomic` and `acquireLock` leave behind when killed, with their writer's PID. */
const LEFTOVER = /^\..+\.(\d+)\.[0-9a-z]+\.(tmp|stale)$/;

/**
 * Removes from `dir` what killed writers left: the temporary files of `writeFileAtomic` and of
 * `acquireLock` whose process is gone (a live writer's stay). Call it holding the directory's
 * lock, before writing there again. Returns the names it removed.
 */
export function removeLeftovers(dir: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = LEFTOVER.exec(name);
    if (m === null || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
