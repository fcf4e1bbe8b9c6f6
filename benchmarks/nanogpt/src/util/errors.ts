/** A problem with what the user asked for (bad flag, missing file): reported in one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
