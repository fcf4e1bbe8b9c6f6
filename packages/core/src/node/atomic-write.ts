import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LmoError } from '../errors.js';

/**
 * The temporary file {@link writeFileAtomic} writes before renaming it over `path`: hidden, in the same
 * directory (a rename is atomic only within one file system), named after its writer's PID so that
 * {@link removeLeftovers} can tell a dead writer's file from a live one's.
 */
export function temporaryName(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.${pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/**
 * Writes `data` to `path` so that the file is at every moment either its old content or the new one,
 * never a mix: the data goes to a temporary file in the same directory, is flushed to disk (fsync), and
 * is then renamed over `path`; the directory is synced so that the rename itself survives a crash. A
 * SIGKILL or a power loss at any moment leaves the previous file whole.
 *
 * @throws {@link LmoError} `WRITE_FAILED`, `cannot write PATH: no space left on device (ENOSPC)`, with
 *   the system's error as its `cause`; the previous file is unchanged and no temporary file is left.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryName(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new LmoError('WRITE_FAILED', `cannot write ${path}: ${reasonOf(e)}`, { cause: e });
  }
  syncDirectory(dirname(path));
}

/** Node's `ENOSPC: no space left on device, write` as `no space left on device (ENOSPC)`. */
function reasonOf(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '[^']*')*$/, '')} (${e.code})` : String(e);
}

/** fsync of a directory (persists renames and new entries); not supported everywhere, hence best effort. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms and file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
