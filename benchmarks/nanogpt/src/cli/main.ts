import { exitCodeOf } from '../util/errors.js';
import { shellQuote } from '../util/shell.js';
import { exportTorchCommand } from './export-torch.js';
import { runNanogpt } from './run.js';
import { nanogptCommand } from './options.js';

/** An unexpected failure: one line; the stack with NANOGPT_DEBUG=1. */
const describe = (e: unknown): string => (process.env.NANOGPT_DEBUG ? ((e as Error).stack ?? String(e)) : (e instanceof Error ? e.message : String(e)).split('\n')[0]!);

/** `pnpm nanogpt`: parse, validate (usage errors: one line on stderr, exit 2), train, report. */
function main(argv: string[]): Promise<number> {
  if (argv[0] === 'export-torch') {
    const cmd = exportTorchCommand().exitOverride().configureOutput({ writeErr: () => {} });
    const exportTorch = async (): Promise<number> => {
      await cmd.parseAsync(argv.slice(1), { from: 'user' });
      return 0;
    };
    return exitCodeOf('nanogpt export-torch', exportTorch, describe);
  }
  return exitCodeOf(
    'nanogpt',
    async () => {
      const cmd = nanogptCommand().exitOverride().configureOutput({ writeErr: () => {} });
      cmd.parse(argv, { from: 'user' });
      const opts = cmd.opts();
      const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      return runNanogpt(opts, explicit, ['pnpm nanogpt', ...argv.map(shellQuote)].join(' '));
    },
    describe,
  );
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
