import { CommanderError } from 'commander';
import { UsageError } from '../util/errors.js';
import { shellQuote } from '../util/shell.js';
import { exportTorchCommand } from './export-torch.js';
import { runNanogpt } from './run.js';
import { nanogptCommand, type RunOptions } from './options.js';

/** `pnpm nanogpt`: parse, validate (usage errors: one line on stderr, exit 2), train, report. */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'export-torch') return exportTorch(argv.slice(1));
  const cmd = nanogptCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  let opts: RunOptions;
  let explicit: Set<string>;
  try {
    cmd.parse(argv, { from: 'user' });
    opts = cmd.opts<RunOptions>();
    explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help / --version
      process.stderr.write(`nanogpt: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    throw e;
  }
  try {
    return await runNanogpt(opts, explicit, ['pnpm nanogpt', ...argv.map(shellQuote)].join(' '));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nanogpt: ${e.message}\n`);
      return 2;
    }
    // An unexpected failure: one line here; the stack with NANOGPT_DEBUG=1.
    process.stderr.write(`nanogpt: ${process.env.NANOGPT_DEBUG ? ((e as Error).stack ?? String(e)) : (e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    return 1;
  }
}

/** `pnpm nanogpt export-torch DIR`: usage errors as for a run (one line, exit 2). */
async function exportTorch(argv: string[]): Promise<number> {
  const cmd = exportTorchCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    await cmd.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      process.stderr.write(`nanogpt export-torch: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`nanogpt export-torch: ${e.message}\n`);
      return 2;
    }
    throw e;
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
