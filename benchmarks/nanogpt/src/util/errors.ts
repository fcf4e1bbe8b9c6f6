// The benchmark reports the shared GPT package's usage errors (exit code 2) like its own.
import { CommanderError } from 'commander';
import { UsageError } from '@lmo/gpt';

export { UsageError, isModuleNotFound } from '@lmo/gpt';

/**
 * Runs a command's `body` and returns its exit code: a command-line error (commander's) or a
 * {@link UsageError} is one line on stderr prefixed with `name` and exit code 2 (`--help`: 0);
 * any other failure is `describe(e)` there and exit code 1.
 */
export async function exitCodeOf(name: string, body: () => Promise<number>, describe = (e: unknown): string => (e as Error).stack ?? String(e)): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CommanderError && e.exitCode === 0) return 0; // --help / --version
    const usage = e instanceof CommanderError ? e.message.replace(/^error: /, '') : e instanceof UsageError ? e.message : undefined;
    process.stderr.write(`${name}: ${usage ?? describe(e)}\n`);
    return usage !== undefined ? 2 : 1;
  }
}
