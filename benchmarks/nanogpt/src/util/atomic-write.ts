import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so that the file is at every moment either its old content or the new
 * one, never a mix: the data goes to a temporary file in the same directory, is flushed to disk
 * (fsync), and is then renamed over `path`; the directory is synced so the rename itself survives
 * a crash. A SIGKILL or power loss during the write leaves the previous file intact.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
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
    throw new WriteError(path, e);
  }
  syncDir(dir);
}

/**
 * A failed write, naming the file: `cannot write PATH: no space left on device (ENOSPC)`. The
 * system's own error is the `cause`.
 */
export class WriteError extends Error {
  override readonly name = 'WriteError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const e = cause as NodeJS.ErrnoException;
    // Node's message is `ENOSPC: no space left on device, write`: keep the reason, name the file.
    const reason = e.code !== undefined ? `${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '[^']*')*$/, '')} (${e.code})` : String(e);
    super(`cannot write ${path}: ${reason}`, { cause });
  }
}

/** fsync of a directory (persists renames and new entries); not supported everywhere, hence best effort. */
function syncDir(dir: string): void {
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
