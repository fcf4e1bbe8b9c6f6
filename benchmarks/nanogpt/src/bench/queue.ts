import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LmoError } from '@lmo/core';
import { acquireLock, type Lock } from '@lmo/core/node';
import { PACKAGE_DIR } from '../package-dir.js';

/**
 * A resumable queue of training runs over a JSON-lines results file. Each finished run appends one
 * line; a run whose key is already in the file is never repeated, so an interrupted sweep is resumed
 * by running the same command again. Several processes may work on one file at once: before a run
 * each takes a claim (`@lmo/core/node`'s lock on a file per point), so two workers never train the
 * same point; the claim of a process that has died is taken over.
 */

/** Reads the records of a JSON-lines file that `accept` recognizes; other and unfinished lines are ignored. */
export function readRecords<R>(path: string, accept: (v: unknown) => v is R): R[] {
  if (!existsSync(path)) return [];
  const out: R[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue; // a line cut short by a killed process
    }
    if (accept(v)) out.push(v);
  }
  return out;
}

/** Whether the file exists and its last byte is not a newline (a line cut short by a killed writer). */
function endsMidLine(path: string): boolean {
  if (!existsSync(path)) return false;
  const size = statSync(path).size;
  if (size === 0) return false;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one record as a line (a single write, so concurrent appenders do not interleave). After a
 * line cut short by a killed writer it starts a new line, so the record is not glued to the fragment.
 */
export function appendRecord(path: string, record: object): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${endsMidLine(path) ? '\n' : ''}${JSON.stringify(record)}\n`);
}

/** Exclusive claims on keys, as lock files in `dir`. */
export class Claims {
  readonly #dir: string;
  readonly #held = new Map<string, Lock>();

  constructor(dir: string) {
    this.#dir = resolve(dir);
  }

  /** Takes the claim on `key`; false when a live process holds it. */
  tryClaim(key: string): boolean {
    mkdirSync(this.#dir, { recursive: true });
    try {
      this.#held.set(key, acquireLock(join(this.#dir, `${createHash('sha1').update(key).digest('hex')}.claim`)));
      return true;
    } catch (e) {
      if (e instanceof LmoError && e.code === 'LOCKED') return false;
      throw e;
    }
  }

  release(key: string): void {
    this.#held.get(key)?.release();
    this.#held.delete(key);
  }

  releaseAll(): void {
    for (const key of [...this.#held.keys()]) this.release(key);
  }
}

/** What {@link runQueue} needs to know about a sweep. */
export interface QueueSpec<P, R extends object> {
  /** The results file (JSON lines), read before every run and appended to after it. */
  readonly file: string;
  /** Recognizes this sweep's records among the file's lines. */
  readonly accept: (v: unknown) => v is R;
  /** The points still to run, in order, given the records so far (done points may be included: they are skipped). */
  readonly pending: (records: readonly R[]) => readonly P[];
  readonly pointKey: (p: P) => string;
  readonly recordKey: (r: R) => string;
  /** Trains one point and returns its record. */
  readonly run: (p: P) => Promise<R>;
  readonly claims: Claims;
  /** Called after each record is appended. */
  readonly onRecord?: (r: R, p: P) => void;
}

/**
 * Works through the pending points until none is left that is neither done nor claimed by another
 * live worker. Returns the number of runs this worker made.
 */
export async function runQueue<P, R extends object>(spec: QueueSpec<P, R>): Promise<number> {
  let made = 0;
  try {
    for (;;) {
      const records = readRecords(spec.file, spec.accept);
      const done = new Set(records.map(spec.recordKey));
      const point = spec.pending(records).find((p) => !done.has(spec.pointKey(p)) && spec.claims.tryClaim(spec.pointKey(p)));
      if (point === undefined) return made;
      const key = spec.pointKey(point);
      try {
        // Another worker may have finished it between our read and our claim.
        if (readRecords(spec.file, spec.accept).some((r) => spec.recordKey(r) === key)) continue;
        const record = await spec.run(point);
        appendRecord(spec.file, record);
        made++;
        spec.onRecord?.(record, point);
      } finally {
        spec.claims.release(key);
      }
    }
  } finally {
    spec.claims.releaseAll();
  }
}

/**
 * {@link runQueue} as the sweep commands run it: claims under `out/claims/` (keyed by the results
 * file, so sweeps into two files never collide), each point announced with `describe` and each
 * record's final val loss printed; then how many runs this worker made.
 */
export async function sweepQueue<P, R extends { readonly final_val_loss: number | null; readonly seconds: number }>(
  spec: Omit<QueueSpec<P, R>, 'claims' | 'onRecord'> & { readonly describe: (p: P) => string },
): Promise<void> {
  const made = await runQueue<P, R>({
    ...spec,
    pointKey: (p) => `${spec.file}|${spec.pointKey(p)}`,
    recordKey: (r) => `${spec.file}|${spec.recordKey(r)}`,
    claims: new Claims(join(PACKAGE_DIR, 'out', 'claims')),
    run: (p) => {
      console.log(`${spec.describe(p)} …`);
      return spec.run(p);
    },
    onRecord: (r) => {
      const loss = r.final_val_loss;
      console.log(`  final val loss ${loss === null || !Number.isFinite(loss) ? 'diverged' : loss.toFixed(4)} (${r.seconds.toFixed(0)} s)`);
    },
  });
  console.log(`${made} run(s) made by this worker; nothing left that is not done or claimed`);
}
