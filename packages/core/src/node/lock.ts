import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LmoError } from '../errors.js';
import { temporaryName } from './atomic-write.js';
import { processAlive } from './process.js';

/**
 * Who holds a lock, as its file records it (JSON): the process, and what tells it apart from a later
 * process that got the same PID — its start time in clock ticks since boot and the boot it ran in
 * (Linux; elsewhere the PID alone) — the host (for a directory on a shared file system), and since when.
 */
export interface LockOwner {
  readonly pid: number;
  readonly started?: string;
  readonly boot?: string;
  readonly host: string;
  readonly since: string;
}

/** How {@link acquireLock} names things in its refusal. */
export interface LockOptions {
  /** What holds such locks: `… is in use by a running <holder>` (default `process`). */
  readonly holder?: string;
  /** What the lock guards (default: the lock file's directory). */
  readonly resource?: string;
}

/** A lock held by this process; `release()` (or the process's exit) gives it back. */
export interface Lock {
  readonly path: string;
  release(): void;
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

function currentOwner(): LockOwner {
  const started = startTicks('self');
  const boot = bootId();
  return { pid: process.pid, ...(started ? { started } : {}), ...(boot ? { boot } : {}), host: hostname(), since: new Date().toISOString() };
}

/**
 * `'gone'` when the process that wrote `owner` has provably ended (no such PID, that PID now belongs to a
 * process started later, or the machine rebooted since), `'alive'` when it runs, `'unknown'` when it ran
 * on another host.
 */
function ownerState(owner: LockOwner): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== hostname()) return 'unknown';
  const boot = bootId();
  if (owner.boot !== undefined && boot !== undefined && owner.boot !== boot) return 'gone';
  if (!processAlive(owner.pid)) return 'gone';
  const started = startTicks(owner.pid);
  return owner.started !== undefined && started !== undefined && started !== owner.started ? 'gone' : 'alive';
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(o?.pid) && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock file `path` for this process — one process at a time in a run directory, say — or
 * refuses naming the process that holds it. A lock left by a process that is gone (a SIGKILL, a crash,
 * a reboot) is taken over; a damaged one too.
 *
 * The lock file is written complete and then linked into place (`link` fails if the name exists), so two
 * processes started at the same instant cannot both get it and nobody reads a half-written lock. A stale
 * lock is first renamed to a name of this process's own — only one contender can rename that file — and
 * put back if it turns out to be a fresh lock of someone else's. On a file system without hard links the
 * lock is created exclusively instead.
 *
 * @throws {@link LmoError} `LOCKED`, `<resource> is in use by a running <holder> (pid N, since T): wait
 *   for it to finish or stop it (kill N) first`, or, for a lock taken on another host (whose process
 *   cannot be checked from here), `… is locked by a <holder> on host H …; if it has ended, delete <path>`.
 */
export function acquireLock(path: string, options: LockOptions = {}): Lock {
  const { holder = 'process', resource = dirname(path) } = options;
  const mine = JSON.stringify(currentOwner());
  const tmp = temporaryName(path);
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
      if (state === 'gone') takeOver(path, text);
      else throw new LmoError('LOCKED', refusal(resource, holder, path, owner!, state));
    }
    throw new LmoError('LOCKED', `cannot lock ${resource}: other processes keep taking and leaving ${path}`);
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
function takeOver(path: string, text: string): void {
  const aside = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.stale`);
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it
    throw e;
  }
  if (readOr(aside) !== text) {
    // A live process's fresh lock: give it back (if yet another lock appeared meanwhile, that one stays).
    try {
      linkSync(aside, path);
    } catch {
      // EEXIST: the next attempt reads and judges the lock that is there now
    }
  }
  rmSync(aside, { force: true });
}

function refusal(resource: string, holder: string, path: string, owner: LockOwner, state: 'alive' | 'unknown'): string {
  const since = owner.since ? `, since ${owner.since}` : '';
  return state === 'alive'
    ? `${resource} is in use by a running ${holder} (pid ${owner.pid}${since}): wait for it to finish or stop it (kill ${owner.pid}) first`
    : `${resource} is locked by a ${holder} on host ${owner.host} (pid ${owner.pid}${since}); if it has ended, delete ${path}`;
}

function held(path: string, mine: string): Lock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: never one that a later process took over.
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
