import { isAbsolute, relative } from 'node:path';

/** An argument as a POSIX shell reads it back (for commands shown to the user or recorded). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./^-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A path as the user would type it in the directory the command was run in: relative when it lies
 * below that directory, else absolute; quoted for the shell.
 */
export function typedPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return shellQuote(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path);
}
