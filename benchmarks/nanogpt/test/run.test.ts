// Run directories, checkpoints, kill and resume, signals, output paths, sizes: nothing lost.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIMIZER } from '@lmo/gpt';
import { checkpointName, loadCheckpoint, type Checkpoint } from '../src/run/checkpoint.js';
import { claimNewRunDir } from '../src/run/run-dir.js';
import { checkFits, stepMemory } from '@lmo/gpt/node';
import { constants } from 'node:os';
import { bin, collect, findProcesses, groupAlive, killStarted, lines, removeWorkdirs, root, run, spawnGroup, until, workdir } from './helpers/cli.js';

afterEach(killStarted);
afterAll(removeWorkdirs);

// Small enough to be quick, large enough that a step takes a few milliseconds on the reference backend.
const SMALL = ['--backend', 'reference', '--eval-every', '10', '--eval-iters', '2', '--n-layer', '2', '--n-head', '2', '--n-embd', '16', '--block-size', '16', '--batch-size', '4', '--sample', '0', '--no-progress', '--data', 'corpus.txt'];

/** The checkpoint file of a run of the default optimizer. */
const CK = checkpointName(DEFAULT_OPTIMIZER);
const readCk = (path: string): Checkpoint => loadCheckpoint(path)!;
/** The bytes of every weight, to compare two runs exactly. */
const weightBytes = (ck: Checkpoint): Record<string, string> =>
  Object.fromEntries(Object.entries(ck.weights).map(([k, w]) => [k, Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('hex')]));
const losses = (file: string): Array<[number, number, number]> =>
  lines(readFileSync(file, 'utf8'))
    .map((l) => JSON.parse(l) as { iter?: number; train_loss?: number; val_loss?: number })
    .filter((r) => r.iter !== undefined)
    .map((r) => [r.iter!, r.train_loss!, r.val_loss!]);
const readlinkCwd = (pid: number): string => realpathSync(`/proc/${pid}/cwd`);
/** Whether the checkpoint file holds at least `step` steps (read only once it is complete: it is written atomically). */
const atLeast = (path: string, step: number): boolean => existsSync(path) && readCk(path).step >= step;

describe('run directories', () => {
  it('--out DIR holds the run; a DIR that holds one is refused without --resume or --force', async () => {
    const cwd = workdir('nanogpt-out-');
    const first = await run([...SMALL, '--iters', '4', '--out', 'r'], cwd);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const f of ['run.json', 'metrics.jsonl', 'loss.svg', CK]) expect(existsSync(join(cwd, 'r', f)), f).toBe(true);
    expect(readCk(join(cwd, 'r', CK))).toMatchObject({ step: 4, finished: true });
    const again = await run([...SMALL, '--iters', '4', '--out', 'r'], cwd);
    expect(again.code).toBe(2);
    expect(lines(again.stderr)).toEqual([expect.stringMatching(/--out .*r already holds a run: --resume .* continues it, --force starts it over/)]);
    const forced = await run([...SMALL, '--iters', '3', '--out', 'r', '--force'], cwd);
    expect(forced.code).toBe(0);
    expect(readCk(join(cwd, 'r', CK))).toMatchObject({ step: 3, iters: 3, finished: true });
  });

  it('without --out a new directory per run, never an earlier one', () => {
    const base = workdir('nanogpt-base-');
    const a = claimNewRunDir(base, 'scion-reference-seed1-x');
    const b = claimNewRunDir(base, 'scion-reference-seed1-x');
    expect(a).not.toBe(b);
    expect(b).toBe(`${a}-2`);
  });
});

describe('kill and resume: the final weights and losses equal an uninterrupted run, bit for bit', () => {
  /** Runs to the end; returns the final checkpoint and the losses. */
  async function straight(cwd: string, out: string, args: string[]) {
    const r = await run([...SMALL, ...args, '--out', out], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r;
  }

  it.each([
    ['the default optimizer', ['--iters', '60', '--save-every', '7'], DEFAULT_OPTIMIZER, 14],
    ['adamw, then scionlight (--compare): killed during the second', ['--iters', '40', '--save-every', '5', '--optimizer', 'adamw', '--compare', 'scionlight'], 'scionlight', 10],
  ])('%s: SIGKILL to the whole process group after a checkpoint, then --resume', async (_what, args, killIn, killAt) => {
    const cwd = workdir('nanogpt-kill-');
    await straight(cwd, 'straight', args);
    // The same run in its own process group, killed with SIGKILL once a checkpoint exists.
    const child = spawnGroup(process.execPath, [bin, ...SMALL, ...args, '--out', 'killed'], { cwd, stdio: 'ignore' });
    const ck = join(cwd, 'killed', checkpointName(killIn as string));
    await until(() => atLeast(ck, killAt as number), 60_000, `a checkpoint at step ${killAt}`);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const atKill = readCk(ck);
    expect(atKill.finished).toBe(false); // killed mid-run
    const resumed = await run(['--resume', 'killed'], cwd);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${killIn}: resuming at step ${atKill.step}`);
    for (const opt of new Set([args.includes('--optimizer') ? args[args.indexOf('--optimizer') + 1]! : DEFAULT_OPTIMIZER, killIn as string])) {
      const a = readCk(join(cwd, 'straight', checkpointName(opt)));
      const b = readCk(join(cwd, 'killed', checkpointName(opt)));
      expect(b.finished).toBe(true);
      expect(weightBytes(b)).toEqual(weightBytes(a));
      expect(b.evals.map((e) => [e.iter, e.train_loss, e.val_loss])).toEqual(a.evals.map((e) => [e.iter, e.train_loss, e.val_loss]));
    }
    expect(losses(join(cwd, 'killed', 'metrics.jsonl'))).toEqual(losses(join(cwd, 'straight', 'metrics.jsonl')));
  }, 120_000);

  it('a checkpoint is complete whenever the writer is killed (atomic writes)', async () => {
    const cwd = workdir('nanogpt-atomic-');
    const path = join(cwd, 'ck.json');
    const writer = `
      import { writeFileAtomic } from '@lmo/core/node';
      const big = 'x'.repeat(4 << 20);
      for (let i = 0; ; i++) writeFileAtomic(${JSON.stringify(path)}, JSON.stringify({ i, big }));
    `;
    for (let k = 0; k < 5; k++) {
      const p = spawn(process.execPath, ['--conditions=@lmo/source', '--import', 'tsx', '--input-type=module', '-e', writer], { cwd: join(root, 'benchmarks/nanogpt'), stdio: 'ignore' });
      await until(() => existsSync(path), 20_000, 'the first write');
      await new Promise((r) => setTimeout(r, 100 + 37 * k));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { i: number; big: string };
      expect(parsed.big).toHaveLength(4 << 20);
    }
  }, 60_000);

  it('a damaged checkpoint is a one-line error on --resume, not a stack trace', async () => {
    const cwd = workdir('nanogpt-damaged-');
    await straight(cwd, 'r', ['--iters', '3']);
    const file = join(cwd, 'r', CK);
    writeFileSync(file, readFileSync(file).subarray(0, -100)); // cut short
    const r = await run(['--resume', 'r'], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^nanogpt: checkpoint r/${CK.replace('.', '\\.')} is damaged: not a valid safetensors file: .*truncated`))]);
  });

  it('--resume takes no option that shapes the model, and needs a run', async () => {
    const cwd = workdir('nanogpt-resume-');
    const none = await run(['--resume', 'nothing-here'], cwd);
    expect(none.code).toBe(2);
    expect(lines(none.stderr)).toEqual([expect.stringMatching(/--resume .*nothing-here: no run there/)]);
    const extra = await run(['--resume', 'r', '--n-embd', '32'], cwd);
    expect(extra.code).toBe(2);
    expect(lines(extra.stderr)).toEqual([expect.stringMatching(/--n-embd cannot be changed/)]);
  });
});

describe('signals', () => {
  it.each([
    ['SIGTERM to the PID of `pnpm nanogpt`', 'pnpm', 'SIGTERM', 143],
    ['SIGINT to the CLI process', 'node', 'SIGINT', 130],
  ] as const)('%s (%s, %s): a final checkpoint and plot at the next step, exit %d, no process left', async (_what, how, signal, code) => {
    const cwd = workdir('nanogpt-signal-', 'now is the winter of our discontent\n'.repeat(200));
    const args = [...SMALL, '--iters', '100000', '--save-every', '5', '--out', 'r'];
    // `pnpm nanogpt` finds the bin from inside the repository; run it there with absolute paths.
    const child =
      how === 'pnpm'
        ? spawnGroup('pnpm', ['nanogpt', ...args.map((a) => (a === 'corpus.txt' || a === 'r' ? join(cwd, a) : a))], { cwd: root })
        : spawnGroup(process.execPath, [bin, ...args], { cwd });
    const done = collect(child);
    const ck = join(cwd, 'r', CK);
    await until(() => atLeast(ck, 5), 60_000, 'the first checkpoint');
    process.kill(child.pid!, signal);
    const r = await done;
    // The status a shell reports: the exit code, or 128 + the signal's number when the process was
    // ended by the signal (pnpm passes SIGTERM on to the CLI and then ends by it).
    expect(r.code ?? 128 + constants.signals[r.signal!]).toBe(code);
    // Nothing of the run outlives it (the trainer stops at its next step boundary).
    await until(() => !groupAlive(child.pid!), 10_000, 'the process group to end');
    const last = readCk(ck);
    expect(last.finished).toBe(false);
    expect(last.step).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(cwd, 'r', 'loss.svg'), 'utf8')).toMatch(/^<svg /);
    // The run directory as the user would type it where the command ran (pnpm's ran at the repository root).
    expect(r.stdout).toContain(`continue with: pnpm nanogpt --resume ${how === 'pnpm' ? join(cwd, 'r') : 'r'}`);
    expect(r.stdout).toContain(`stopped at step ${last.step} of 100000 (${signal})`);
  }, 90_000);

  it('SIGKILL to `pnpm nanogpt` (it cannot pass that on): the CLI notices its parent is gone and stops cleanly', async () => {
    const cwd = workdir('nanogpt-orphan-', 'now is the winter of our discontent\n'.repeat(200));
    const args = [...SMALL, '--iters', '100000', '--save-every', '5', '--out', join(cwd, 'r')].map((a) => (a === 'corpus.txt' ? join(cwd, a) : a));
    const child = spawnGroup('pnpm', ['nanogpt', ...args], { cwd: root, stdio: 'ignore' });
    const ck = join(cwd, 'r', CK);
    await until(() => atLeast(ck, 5), 60_000, 'the first checkpoint');
    process.kill(child.pid!, 'SIGKILL');
    await until(() => !groupAlive(child.pid!), 15_000, 'the orphaned CLI to stop');
    // Without the parent check it would train on, unattended, for 100,000 iterations.
    const last = readCk(ck);
    expect(last.finished).toBe(false);
    expect(last.step).toBeGreaterThanOrEqual(5);
  }, 90_000);

  it('a signal during a long evaluation does not wait for it to finish', async () => {
    const cwd = workdir('nanogpt-evalstop-', 'now is the winter of our discontent\n'.repeat(200));
    const child = spawnGroup(process.execPath, [bin, ...SMALL, '--iters', '100', '--eval-iters', '20000', '--out', 'r'], { cwd });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const done = collect(child);
    await until(() => stdout.includes('backend reference'), 30_000, 'the header'); // the first evaluation starts
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    process.kill(child.pid!, 'SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000); // 2 × 20,000 evaluation batches would take far longer
    expect(readCk(join(cwd, 'r', CK))).toMatchObject({ step: 0, finished: false, evals: [] });
  }, 60_000);

  it('Ctrl-C during the progress bar gives the terminal back its cursor and line wrap', async () => {
    const cwd = workdir('nanogpt-tty-', 'now is the winter of our discontent\n'.repeat(200));
    const cmd = [process.execPath, bin, ...SMALL.filter((a) => a !== '--no-progress'), '--iters', '100000', '--save-every', '5', '--out', 'r'].map((a) => `'${a}'`).join(' ');
    // `script` runs the CLI on a pseudo-terminal (its stdout a TTY, so the bar is drawn).
    const child = spawnGroup('script', ['-qfec', cmd, '/dev/null'], { cwd });
    const done = collect(child);
    await until(() => atLeast(join(cwd, 'r', CK), 5), 60_000, 'the first checkpoint');
    // What Ctrl-C does: SIGINT to the terminal's foreground process, the CLI (not `script` itself).
    const [cli] = findProcesses(process.execPath, bin).filter((pid) => readlinkCwd(pid) === realpathSync(cwd));
    expect(cli).toBeDefined();
    process.kill(cli!, 'SIGINT');
    const r = await done;
    const out = r.stdout;
    expect(out).toContain('\x1b[?25l'); // the bar hid the cursor …
    expect(out).toContain('SIGINT: stopping after this step');
    const hidden = out.lastIndexOf('\x1b[?25l');
    expect(out.lastIndexOf('\x1b[?25h')).toBeGreaterThan(hidden); // … and it is shown again at the end
    expect(out.lastIndexOf('\x1b[?7h')).toBeGreaterThan(out.lastIndexOf('\x1b[?7l'));
  }, 90_000);
});

describe('output paths are checked before the first iteration: exit 2, one line, nothing written', () => {
  const cases: Array<[string, (cwd: string) => string[], RegExp]> = [
    ['an unwritable --plot', () => ['--plot', '/proc/nanogpt/loss.svg'], /--plot \/proc\/nanogpt\/loss\.svg: cannot write in \/proc \(to create \/proc\/nanogpt\)/],
    ['--json under a path whose parent is a file', (cwd) => { writeFileSync(join(cwd, 'afile'), ''); return ['--json', 'afile/x.jsonl']; }, /--json .*afile\/x\.jsonl: .*afile is a file, not a directory/],
    ['--json x.svg (the plot would overwrite it)', () => ['--json', 'x.svg'], /--plot and --json would be the same file .*x\.svg/],
    ['--json that is a directory', (cwd) => { mkdirSync(join(cwd, 'adir')); return ['--json', 'adir']; }, /--json .*adir is a directory/],
    ['--out that is a file', (cwd) => { writeFileSync(join(cwd, 'ofile'), ''); return ['--out', 'ofile']; }, /ofile is a file, not a directory/],
  ];
  it.each(cases)('%s', async (_what, args, message) => {
    const cwd = workdir('nanogpt-paths-');
    const r = await run([...SMALL, '--iters', '2', ...args(cwd)], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(message)]);
    expect(r.stdout).toBe(''); // not even the header: no training started
  });

  it('rerunning with the same --json is refused; --force rewrites the results and the plot beside them', async () => {
    const cwd = workdir('nanogpt-rerun-');
    const first = await run([...SMALL, '--iters', '2', '--json', 'res.jsonl', '--out', 'a'], cwd);
    expect(first.code).toBe(0);
    const before = readFileSync(join(cwd, 'res.svg'), 'utf8');
    const again = await run([...SMALL, '--iters', '2', '--json', 'res.jsonl', '--out', 'b'], cwd);
    expect(again.code).toBe(2);
    expect(lines(again.stderr)).toEqual([expect.stringMatching(/--json .*res\.jsonl already exists \(an earlier run's\): pass --force/)]);
    expect(lines(readFileSync(join(cwd, 'res.jsonl'), 'utf8'))).toHaveLength(3); // untouched: evaluations at 0 and 2, a summary
    const forced = await run([...SMALL, '--iters', '4', '--eval-every', '2', '--json', 'res.jsonl', '--out', 'b', '--force'], cwd);
    expect(forced.code).toBe(0);
    expect(lines(readFileSync(join(cwd, 'res.jsonl'), 'utf8')).map((l) => JSON.parse(l).iter)).toEqual([0, 2, 4, undefined]);
    expect(readFileSync(join(cwd, 'res.svg'), 'utf8')).not.toBe(before);
  });
});

describe('data and sizes', () => {
  it('a corpus of more than 65,536 distinct characters trains with 32-bit token ids', async () => {
    const chars = Array.from({ length: 70_000 }, (_, i) => String.fromCodePoint(0x4e00 + (i % 20_000) + Math.floor(i / 20_000) * 0x10000));
    const cwd = workdir('nanogpt-vocab-', chars.join('') + chars.slice(0, 9000).join(''));
    const r = await run(['--backend', 'reference', '--iters', '1', '--eval-every', '1', '--eval-iters', '1', '--n-layer', '1', '--n-head', '1', '--n-embd', '4', '--block-size', '4', '--batch-size', '1', '--sample', '3', '--no-progress', '--data', 'corpus.txt', '--out', 'r'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('vocab 70000');
    const sample = [...readFileSync(join(cwd, 'r', 'sample.txt'), 'utf8').replace(/\n$/, '')];
    expect(sample).toHaveLength(3);
    for (const c of sample) expect(chars).toContain(c); // decoded through ids above 65,535 as well
  }, 60_000);

  it.each([
    ['a block size too large for memory', ['--block-size', '8192', '--batch-size', '64'], /--block-size 8192 with --batch-size 64 .* needs a single .* buffer, more than one array can hold/],
    ['a model and batch too large for memory', ['--n-layer', '2000', '--n-embd', '512', '--batch-size', '64'], /needs about .* GiB for a training step on reference; this machine has .*: use a smaller --block-size or --batch-size/],
  ])('%s: one line before anything is allocated', async (_what, args, message) => {
    const cwd = workdir('nanogpt-size-', 'a'.repeat(50_000) + 'b'.repeat(50_000));
    const r = await run(['--backend', 'reference', '--iters', '1', '--no-progress', '--data', 'corpus.txt', '--out', 'r', ...args], cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(message)]);
    expect(existsSync(join(cwd, 'r'))).toBe(false);
  });

  it('the memory estimate grows with the attention matrices and the logits', () => {
    const cfg = { vocabSize: 65, nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 };
    // The attention matrices grow as T²: doubling the block more than doubles what the doubling before added.
    const at = (blockSize: number): number => stepMemory({ ...cfg, blockSize }, 12).bytes;
    expect(at(256) - at(128)).toBeGreaterThan(2 * (at(128) - at(64)));
    expect(stepMemory({ ...cfg, vocabSize: 20_000 }, 12).bytes).toBeGreaterThan(at(64) + 4 * 12 * 64 * 20_000);
    expect(() => checkFits(cfg, 12, 'onnxruntime', 8 * 1024 ** 3)).not.toThrow();
    expect(() => checkFits(cfg, 12, 'onnxruntime', 1024 ** 2)).toThrow(/needs about .* for a training step/);
  });

  it('a diverged run prints one line, keeps its checkpoint, JSON lines and plot, and exits 1', async () => {
    const cwd = workdir('nanogpt-diverge-');
    const r = await run([...SMALL, '--optimizer', 'nsgd', '--lr', '1e30', '--iters', '50', '--eval-every', '50', '--save-every', '1', '--out', 'r'], cwd);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^nanogpt: nsgd diverged: .* is not finite at iteration \d+: the run diverged; kept .*metrics\.jsonl, .*loss\.svg and the last checkpoint .*checkpoint-nsgd\.safetensors$/)]);
    const ck = readCk(join(cwd, 'r', checkpointName('nsgd')));
    expect(ck.finished).toBe(false);
    expect(lines(readFileSync(join(cwd, 'r', 'metrics.jsonl'), 'utf8')).length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(cwd, 'r', 'loss.svg'), 'utf8')).toMatch(/^<svg /);
  });
});
