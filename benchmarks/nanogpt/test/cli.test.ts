import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importOr } from '../src/model/tfjs/engine.js';
import { UsageError } from '../src/util/errors.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nanogpt-cli-'));
const empty = join(dir, 'empty.txt');
const tiny = join(dir, 'tiny.txt');
writeFileSync(empty, '');
writeFileSync(tiny, 'to be or not to be\n'.repeat(2));

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: pkg });
    let stderr = '';
    let stdout = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.on('close', (code) => done({ code, stderr, stdout }));
  });
}

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
    await expect(p).rejects.toThrow(/needs @tensorflow\/tfjs-backend-wasm.*pnpm --filter @lmo\/bench-nanogpt add @tensorflow\/tfjs-backend-wasm@4.22.0/);
  });
});
