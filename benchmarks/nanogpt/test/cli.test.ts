import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLearningRate, parseLearningRates } from '../src/cli/numbers.js';
import { runPaths } from '../src/run/run-dir.js';
import { importOr } from '@lmo/gpt/node';
import { formatDuration, progressHooks } from '../src/report/progress.js';
import { UsageError } from '../src/util/errors.js';
import { lines, pkg, removeWorkdirs, root, run, spawnIn, TINY, workdir } from './helpers/cli.js';

afterAll(removeWorkdirs);

const dir = workdir('nanogpt-cli-');
const empty = join(dir, 'empty.txt');
const tiny = join(dir, 'tiny.txt');
writeFileSync(empty, '');
writeFileSync(tiny, 'to be or not to be\n'.repeat(2));

const cases: Array<[string, string[], RegExp]> = [
  ['unknown backend', ['--backend', 'nope'], /unknown backend "nope" \(choose one of: [a-z0-9, -]*\breference\b[a-z0-9, -]*\)/],
  ['unknown optimizer', ['--optimizer', 'sgdx', '--data', tiny], /unknown optimizer "sgdx"/],
  ['missing data file', ['--data', join(dir, 'absent.txt')], /data file not found \(--data\)/],
  ['empty data file', ['--data', empty], /data file is empty/],
  ['block size larger than the data', ['--data', tiny, '--block-size', '64'], /block size 64 is larger than the (train|val) split/],
  ['a bad number', ['--iters', 'many'], /expected an integer ≥ 0, got "many"/],
  ['an unknown flag', ['--frobnicate'], /unknown option '--frobnicate'/],
];

describe('pnpm nanogpt rejects bad input: one line on stderr, exit code 2, nothing written', () => {
  it.concurrent.each(cases)('%s', async (_what, args, message) => {
    const json = join(dir, `${args.join('_').replace(/[^a-z0-9]/gi, '')}.jsonl`);
    const r = await run([...args, '--json', json, '--iters', '1']);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(json)).toBe(false);
    expect(existsSync(json.replace(/\.jsonl$/, '.svg'))).toBe(false);
  });
});

describe('engine packages', () => {
  it('a missing engine package is a usage error naming the package and how to install it', async () => {
    const err = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-backend-wasm'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const p = importOr('@tensorflow/tfjs-backend-wasm', () => Promise.reject(err));
    await expect(p).rejects.toBeInstanceOf(UsageError);
    await expect(p).rejects.toThrow(/needs @tensorflow\/tfjs-backend-wasm.*pnpm --filter @lmo\/gpt add @tensorflow\/tfjs-backend-wasm@4.22.0/);
  });
});

describe('paths are relative to the directory the command was run in', () => {
  it('--data, --json, --plot and the sample', async () => {
    const cwd = workdir('nanogpt-cwd-');
    writeFileSync(join(cwd, 'corpus.txt'), 'to be or not to be, that is the question\n'.repeat(20));
    const r = await run([...TINY, '--data', 'corpus.txt', '--json', 'runs/a.jsonl', '--plot', 'plots/a.svg', '--out', 'run'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(readFileSync(join(cwd, 'runs', 'a.jsonl'), 'utf8'))).toHaveLength(4); // 3 evaluations + summary
    expect(readFileSync(join(cwd, 'plots', 'a.svg'), 'utf8')).toMatch(/^<svg /);
    const sample = readFileSync(join(cwd, 'plots', 'a.sample.txt'), 'utf8');
    expect([...sample.replace(/\n$/, '')]).toHaveLength(12);
    expect(r.stdout).toContain(`sample: ${join(cwd, 'plots', 'a.sample.txt')}`);
  });

  it('LMO_DATA, and the plot and sample beside --json', async () => {
    const cwd = workdir('nanogpt-cwd-');
    writeFileSync(join(cwd, 'corpus.txt'), 'all the world is a stage\n'.repeat(20));
    const r = await run([...TINY, '--json', 'b.jsonl', '--out', 'run'], cwd, { ...process.env, LMO_DATA: 'corpus.txt' });
    expect(r.code).toBe(0);
    for (const f of ['b.jsonl', 'b.svg', 'b.sample.txt']) expect(existsSync(join(cwd, f)), f).toBe(true);
  });

  it('the sample goes beside the plot', () => {
    expect(runPaths('/d', undefined, '/x/run.svg').sample).toBe('/x/run.sample.txt');
  });
});

describe('the documented commands (pnpm nanogpt, pnpm bench) from a shell', () => {
  const inside = join(pkg, 'out', `cli-test-${process.pid}`);
  afterAll(() => rmSync(inside, { recursive: true, force: true }));

  it('an error is exactly one line on stderr, nothing from pnpm around it, exit code 2', async () => {
    const r = await spawnIn('pnpm', ['nanogpt', '--backend', 'nope'], root);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^nanogpt: unknown backend "nope"/)]);
  });

  it('pnpm nanogpt from a subdirectory takes paths relative to it', async () => {
    mkdirSync(inside, { recursive: true });
    writeFileSync(join(inside, 'corpus.txt'), 'now is the winter of our discontent\n'.repeat(20));
    const r = await spawnIn('pnpm', ['nanogpt', ...TINY, '--data', 'corpus.txt', '--json', 'c.jsonl', '--out', 'run'], inside);
    expect(r.code).toBe(0);
    for (const f of ['c.jsonl', 'c.svg', 'c.sample.txt']) expect(existsSync(join(inside, f)), f).toBe(true);
  });

  it('pnpm bench without a subcommand prints its help', async () => {
    const r = await spawnIn('pnpm', ['bench'], root);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: bench/);
    for (const sub of ['parity', 'speed', 'transfer', 'recipe']) expect(r.stdout).toContain(sub);
  });
});

describe('learning rates are read the way the docs write them', () => {
  it('2^-8, 1e-3, 0.001', () => {
    expect(parseLearningRate('2^-8')).toBe(2 ** -8);
    expect(parseLearningRate('2^-7')).toBe(0.0078125);
    expect(parseLearningRate('1e-3')).toBe(0.001);
    expect(parseLearningRate('0.05')).toBe(0.05);
    expect(parseLearningRates('2^-9, 2^-8,1e-3')).toEqual([2 ** -9, 2 ** -8, 0.001]);
  });
  it.each(['0', '-1', 'x', '2^', '^-8', '', '2^-8x', '0^1', 'Infinity'])('rejects %j', (text) => {
    expect(() => parseLearningRate(text)).toThrow(/expected a learning rate > 0 such as 0.001, 1e-3 or 2\^-8/);
  });
  it('pnpm nanogpt --lr 2^-8 is accepted; --lr 0 is a one-line error', async () => {
    const cwd = workdir('nanogpt-lr-');
    writeFileSync(join(cwd, 'corpus.txt'), 'what light through yonder window breaks\n'.repeat(20));
    const ok = await run([...TINY, '--iters', '1', '--sample', '0', '--lr', '2^-8', '--data', 'corpus.txt', '--json', 'lr.jsonl', '--out', 'run'], cwd);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(lines(readFileSync(join(cwd, 'lr.jsonl'), 'utf8')).at(-1)!)).toMatchObject({ summary: true, lr: 2 ** -8 });
    const bad = await run(['--lr', '0']);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/--lr.*expected a learning rate > 0/)]);
  });
});

describe('progress', () => {
  it('the bar shows the ETA as formatDuration writes it', async () => {
    const { Writable } = await import('node:stream');
    let text = '';
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          text += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    const hooks = progressHooks('scion', 1000, stream);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 30));
      hooks.onIter?.(i, 3.5, 1e-3, 1000);
    }
    hooks.stop();
    const etas = [...text.matchAll(/ETA ([\w-]+)/g)].map((m) => m[1]!);
    expect(etas.length).toBeGreaterThan(0);
    for (const eta of etas) expect(eta).toMatch(/^(-|\d+s|\d+m\d\ds|\d+h\d\dm)$/);
    expect(etas.some((e) => e !== '-')).toBe(true);
  });

  it('formats the ETA without a 60 in any field', () => {
    expect(formatDuration(179.6)).toBe('3m00s');
    expect(formatDuration(119.5)).toBe('2m00s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(3599.7)).toBe('1h00m');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('-');
  });
});
