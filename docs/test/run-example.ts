import { vi } from 'vitest';

/**
 * Runs an example program (imports it, which executes it) with `console.log` captured, so that the
 * tests can check what it prints and the test output stays clean. Returns the module's exports and
 * the printed lines.
 */
export async function runExample<M>(load: () => Promise<M>): Promise<{ module: M; printed: string[] }> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
  try {
    return { module: await load(), printed };
  } finally {
    log.mockRestore();
  }
}
