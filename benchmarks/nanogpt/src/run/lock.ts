import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { processAlive } from '../util/process.js';

/** The lock file in a run directory: present while a run works there. */
export const LOCK_FILE = '.nanogpt.lock';

/**
 * Who holds a lock: the process, and what tells it apart from a later process that got the same
 * PID — its start time (in clock ticks since boot) and the boot it ran in (Linux; elsewhere the PID
 * alone) — and the host (a directory on a shared file system).
 */
export interface LockOwner {
  readonly pid: number;
  readonly started?: string;
  readonly boot?: string;
  readonly host: string;
  readonly since: string;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of `/proc/PID/stat`: the process's start time, in clock ticks after boot (Linux). */
function startTicks(pid: number | 'self'): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces and parentheses: count the fields after its last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

const bootId = (): string | undefined => readOr('/proc/sys/kernel/random/boot_id')?.trim();

/** This process, as a lock records it. */
export function currentOwner(): LockOwner {
  const started = startTicks('self');
  const boot = bootId();
  return { pid: process.pid, ...(started ? { started } : {}), ...(boot ? { boot } : {}), host: hostname(), since: new Date().toISOString() };
}

/**
 * Whether the process that wrote `owner` is still running: `'gone'` when it has provably ended
 * (no such PID, or that PID now belongs to a process started later, or the machine rebooted since),
 * `'alive'` when it runs, `'unknown'` when it ran on another host.
 */
export function ownerState(owner: LockOwner): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== hostname()) return 'unknown';
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return 'gone';
  if (!processAlive(owner.pid)) return 'gone';
  const started = startTicks(owner.pid);
  return owner.started !== undefined && started !== undefined && started !== owner.started ? 'gone' : 'alive';
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  try {
    const o = JSON.parse(text ?? '') as LockOwner;
    return Number.isSafeInteger(o?.pid) && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** A lock held by this process; {@link RunLock.release} (or the process's exit) gives it back. */
export interface RunLock {
  readonly path: string;
  release(): void;
}

/**
 * Locks run directory `dir` for this process, or refuses in one line naming the run that holds it
 * (`what` says how the directory was given, e.g. `--out r`). A lock left by a run that is gone — a
 * SIGKILL, a crash, a reboot — is taken over.
 *
 * The lock file is made complete and then linked into place (`link` fails if the name exists), so
 * two runs started at the same instant cannot both get it and nobody reads a half-written lock. A
 * stale lock is first renamed to a name of this process's own — only one contender can rename that
 * file — and put back if it turns out to be a fresh lock of someone else's.
 */
export function lockRunDir(dir: string, what: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify(currentOwner());
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(dir, `${LOCK_FILE}.${tag}.tmp`);
  writeFileSync(tmp, mine);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        linkSync(tmp, path);
        return held(path, mine);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && !NO_LINKS.has(code!)) throw e;
        if (code !== 'EEXIST' && createExclusive(path, mine)) return held(path, mine);
      }
      const text = readOr(path);
      if (text === undefined) continue; // released in between: try again
      const owner = parseOwner(text);
      const state = owner === undefined ? 'gone' : ownerState(owner);
      if (state !== 'gone') throw new UsageError(inUse(what, dir, owner!, state));
      takeOver(path, text, join(dir, `${LOCK_FILE}.stale.${tag}`));
    }
    throw new UsageError(`${what}: cannot lock ${dir}: other runs keep taking and leaving ${path}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** What `link` fails with on a file system without hard links. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** The fallback without hard links: create the lock exclusively (its content follows at once). */
function createExclusive(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Moves the stale lock `text` out of the way, unless what is at `path` by then is another lock. */
function takeOver(path: string, text: string, aside: string): void {
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it
    throw e;
  }
  if (readOr(aside) !== text) {
    // A live run's fresh lock: give it back (if yet another lock appeared meanwhile, that one stays).
    try {
      linkSync(aside, path);
    } catch {
      // EEXIST: the next attempt reads and judges the lock that is there now
    }
  }
  rmSync(aside, { force: true });
}

function inUse(what: string, dir: string, owner: LockOwner, state: 'alive' | 'unknown'): string {
  const since = owner.since ? `, since ${owner.since}` : '';
  return state === 'alive'
    ? `${what}: ${dir} is in use by a running nanogpt (pid ${owner.pid}${since}): wait for it to finish or stop it (kill ${owner.pid}) first`
    : `${what}: ${dir} is locked by a nanogpt on host ${owner.host} (pid ${owner.pid}${since}); if that run is over, delete ${join(dir, LOCK_FILE)}`;
}

function held(path: string, mine: string): RunLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never one that a later run took over.
    if (readOr(path) === mine) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { path, release };
}
