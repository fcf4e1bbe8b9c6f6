// @lmo/gpt/node's corpus: where it is looked for, in which order, and what is said when it is nowhere.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CPU_CONFIG, UsageError } from '../src/index.js';
import { locateCorpus, prepareCorpus } from '../src/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gpt-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const offline = 'http://127.0.0.1:9/tinyshakespeare.txt';

describe('locateCorpus', () => {
  const shared = file('shared.txt', 'shared');
  const cache = file('cache.txt', 'cache');
  const env = file('env.txt', 'env');

  it('takes the explicit path, then $LMO_DATA, then the shared copy, then the cache', async () => {
    const explicit = file('explicit.txt', 'explicit');
    expect(await locateCorpus(explicit, { env: { LMO_DATA: env }, shared, cache })).toEqual({ path: explicit, how: '--data' });
    expect(await locateCorpus(undefined, { env: { LMO_DATA: env }, shared, cache })).toEqual({ path: env, how: 'LMO_DATA' });
    expect(await locateCorpus(undefined, { env: { LMO_DATA: '' }, shared, cache })).toEqual({ path: shared, how: 'shared' });
    expect(await locateCorpus(undefined, { env: {}, shared: join(dir, 'none.txt'), cache })).toEqual({ path: cache, how: 'cache' });
  });

  it('refuses an explicit path or $LMO_DATA that is missing, a folder or empty, naming it (no fallback)', async () => {
    await expect(locateCorpus(join(dir, 'missing.txt'), { env: {}, shared, cache })).rejects.toThrow(/data file not found \(--data\): .*missing\.txt/);
    await expect(locateCorpus(dir, { env: {}, shared, cache })).rejects.toThrow(/data path is not a file \(--data\)/);
    await expect(locateCorpus(undefined, { env: { LMO_DATA: file('empty.txt', '') }, shared, cache })).rejects.toThrow(/data file is empty \(LMO_DATA\)/);
  });

  it('when it is nowhere and cannot be downloaded, says every way to provide it in one line and leaves no cache', async () => {
    const nowhere = join(dir, 'no-such-cache', 'tinyshakespeare.txt');
    const p = locateCorpus(undefined, { env: {}, shared: join(dir, 'no-such-shared.txt'), cache: nowhere, url: offline });
    await expect(p).rejects.toBeInstanceOf(UsageError);
    const message = await p.catch((e: Error) => e.message);
    expect(message).not.toContain('\n');
    expect(message).toContain('--data FILE');
    expect(message).toContain('LMO_DATA=FILE');
    expect(message).toContain(nowhere);
    expect(existsSync(nowhere)).toBe(false);
  });
});

describe('prepareCorpus', () => {
  it('reads the corpus and gives the model its vocabulary; a block longer than the data is a usage error', async () => {
    mkdirSync(join(dir, 'p'), { recursive: true });
    const text = file('p/text.txt', 'to be or not to be\n'.repeat(40));
    const { data, config, source, fingerprint } = await prepareCorpus(text, { ...CPU_CONFIG, blockSize: 8 });
    expect(source).toEqual({ path: text, how: '--data' });
    // SHA-256 of the bytes and of the vocabulary as JSON, computed here independently of the package
    const hex = (v: string): string => createHash('sha256').update(v).digest('hex');
    expect(fingerprint).toEqual({ sha256: hex('to be or not to be\n'.repeat(40)), vocab_sha256: hex('["\\n"," ","b","e","n","o","r","t"]'), bytes: 760 });
    expect(config.vocabSize).toBe(data.vocabSize);
    expect(data.chars.join('')).toBe('\n benort');
    await expect(prepareCorpus(text, { ...CPU_CONFIG, blockSize: 4096 })).rejects.toBeInstanceOf(UsageError);
  });
});
