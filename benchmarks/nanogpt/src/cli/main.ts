import { CommanderError } from 'commander';
import { UsageError } from '../util/errors.js';
import { runNanogpt } from './run.js';
import { nanogptCommand, type RunOptions } from './options.js';

/** `pnpm nanogpt`: parse, validate (usage errors: one line on stderr, exit 2), train, report. */
async function main(argv: string[]): Promise<number> {
  const cmd = nanogptCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  let opts: RunOptions;
  try {
    cmd.parse(argv, { from: 'user' });
    opts = cmd.opts<RunOptions>();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help / --version
      process.stderr.write(`nanogpt: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    throw e;
  }
  try {
    await runNanogpt(opts);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nanogpt: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`nanogpt: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`nanogpt: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
