// On a terminal: where the progress bar is drawn, what the scrollback keeps, Ctrl-C's lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bin, collect, killStarted, removeWorkdirs, spawnGroup, until, workdir } from './helpers/cli.js';
import { screenLines } from './helpers/screen.js';

afterEach(killStarted);
afterAll(removeWorkdirs);

const SMALL = ['--backend', 'reference', '--eval-iters', '2', '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--sample', '0', '--data', 'corpus.txt'];
const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
const CORPUS = 'now is the winter of our discontent\n'.repeat(200);

/** Runs `shell` (a command line) on a pseudo-terminal (`script`); returns the child and what the terminal received. */
function onTerminal(shell: string, cwd: string) {
  const child = spawnGroup('script', ['-qfec', shell, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout!.on('data', (d: Buffer) => (raw += d.toString()));
  return { child, done: collect(child), raw: () => raw };
}

describe('the progress bar on a terminal', () => {
  it('Ctrl-C: the bar stays as it was, the stop message and the continue line stand on their own lines below it, no placeholder bar in the scrollback', async () => {
    const cwd = workdir('nanogpt-term-', CORPUS);
    const cmd = [process.execPath, bin, ...SMALL, '--iters', '100000', '--eval-every', '150', '--save-every', '1000', '--out', 'r'].map(quote).join(' ');
    const t = onTerminal(cmd, cwd);
    const barAfter = (mark: string): boolean => t.raw().includes(mark) && /\/100000 \| loss \d/.test(t.raw().slice(t.raw().indexOf(mark)));
    await until(() => barAfter('step 150:'), 60_000, 'the bar after the second evaluation');
    t.child.stdin!.write('\x03'); // what the terminal sends for Ctrl-C
    const r = await t.done;
    expect(r.code).toBe(130);
    const screen = screenLines(t.raw()).filter((l) => l !== '');
    const stop = screen.findIndex((l) => l.startsWith('nanogpt: SIGINT'));
    expect(screen[stop]).toMatch(/^nanogpt: SIGINT: stopping after this step/);
    // The bar stays where the Ctrl-C was, as it was then (no placeholder), on a line of its own; no other bar line is left.
    expect(screen[stop - 1]).toMatch(/^uscion-tuned \|[█░]{24}\| \d+\/100000 \| loss \d\.\d{4} \| \d+ tok\/s \| lr \S+ \| ETA \S+( \(evaluating\))?(\^C)?$/);
    expect(screen.filter((l) => l.includes('/100000 |'))).toHaveLength(1);
    expect(screen.slice(stop + 1)).toEqual([
      expect.stringMatching(/^uscion-tuned: stopped at step \d+ of 100000 \(SIGINT\); checkpoint r\/checkpoint-uscion-tuned\./),
      'continue with: pnpm nanogpt --resume r',
    ]);
    expect(screen.slice(0, stop - 1).map((l) => l.replace(/ step \d+:.*/, ''))).toEqual([expect.stringMatching(/^nanogpt: \d+ characters/), 'uscion-tuned', 'uscion-tuned']);
  }, 90_000);

  it('only stdout a terminal (stderr to a file): plain progress lines on the terminal, nothing drawn into the file', async () => {
    const cwd = workdir('nanogpt-term-', CORPUS);
    const cmd = `${[process.execPath, bin, ...SMALL, '--iters', '100', '--eval-every', '100', '--out', 'r'].map(quote).join(' ')} 2>err.txt`;
    const t = onTerminal(cmd, cwd);
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(screenLines(t.raw()).filter((l) => /^uscion-tuned iter 50\/100: loss \d/.test(l))).toHaveLength(1);
    expect(t.raw()).not.toContain('\x1b[?25l');
    expect(readFileSync(join(cwd, 'err.txt'), 'utf8')).toBe('');
  }, 60_000);

  it('only stderr a terminal (stdout to a file): the bar on the terminal, the file without control sequences', async () => {
    const cwd = workdir('nanogpt-term-', CORPUS);
    const cmd = `${[process.execPath, bin, ...SMALL, '--iters', '300', '--eval-every', '150', '--out', 'r'].map(quote).join(' ')} >out.txt`;
    const t = onTerminal(cmd, cwd);
    const r = await t.done;
    expect(r.code).toBe(0);
    expect(t.raw()).toMatch(/uscion-tuned \|.*\| \d+\/300 \| loss \d/);
    const out = readFileSync(join(cwd, 'out.txt'), 'utf8');
    expect(out).not.toContain('\x1b');
    expect(out).toMatch(/uscion-tuned step 300: train loss/);
    expect(screenLines(t.raw()).filter((l) => l.includes('/300 |'))).toEqual([]);
  }, 60_000);
});
