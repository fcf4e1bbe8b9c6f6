/**
 * A problem with what the user asked for (a bad option, a corpus too short for the block size, a
 * checkpoint that does not load): the command-line tools report it in one line with exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Whether `e` is Node's error for a module or package that cannot be found (not installed). */
export function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
