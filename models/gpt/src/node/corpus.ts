import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GPTConfig } from '../config.js';
import type { CharDataset } from '../data/char-dataset.js';
import { UsageError } from '../errors.js';
import { datasetFor } from '../train/experiment.js';

export const SHAKESPEARE_URL = 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt';

/** The repository root (this file is models/gpt/src/node/corpus.ts). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the corpus comes from, for the log. */
export interface CorpusSource {
  readonly path: string;
  readonly how: '--data' | 'LMO_DATA' | 'shared' | 'cache' | 'download';
}

/** Where {@link locateCorpus} looks; every field has a default (tests replace them). */
export interface CorpusLookup {
  readonly env?: NodeJS.ProcessEnv;
  /** The shared copy beside the repository. */
  readonly shared?: string;
  /** The download cache. */
  readonly cache?: string;
  readonly url?: string;
}

/**
 * Finds tiny shakespeare: `explicit` (a command's `--data`), then `$LMO_DATA`, then
 * `../shared/data/tinyshakespeare.txt` beside the repository, then the cached copy in the
 * repository's `.cache/`, else downloads it into that cache. An explicit path that does not exist is
 * a usage error (no silent fallback). Relative paths are relative to the working directory.
 */
export async function locateCorpus(explicit?: string, lookup: CorpusLookup = {}): Promise<CorpusSource> {
  const {
    env = process.env,
    shared = resolve(REPO_ROOT, '../shared/data/tinyshakespeare.txt'),
    cache = join(REPO_ROOT, '.cache', 'tinyshakespeare.txt'),
    url = SHAKESPEARE_URL,
  } = lookup;
  if (explicit !== undefined) return { path: checkFile(resolve(explicit), '--data'), how: '--data' };
  const fromEnv = env['LMO_DATA'];
  if (fromEnv !== undefined && fromEnv !== '') return { path: checkFile(resolve(fromEnv), 'LMO_DATA'), how: 'LMO_DATA' };
  if (existsSync(shared)) return { path: shared, how: 'shared' };
  if (existsSync(cache)) return { path: cache, how: 'cache' };
  await download(url, cache);
  return { path: cache, how: 'download' };
}

function checkFile(path: string, from: string): string {
  if (!existsSync(path)) throw new UsageError(`data file not found (${from}): ${path}`);
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`data path is not a file (${from}): ${path}`);
  if (st.size === 0) throw new UsageError(`data file is empty (${from}): ${path}`);
  return path;
}

async function download(url: string, to: string): Promise<void> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    throw new UsageError(
      `tiny shakespeare is not on this machine and downloading it failed (${firstLine(e)}): ` +
        `get ${url} and pass --data FILE, set LMO_DATA=FILE, or save it as ${to}`,
    );
  }
  if (text.length === 0) throw new UsageError(`downloaded corpus is empty: ${url}`);
  mkdirSync(dirname(to), { recursive: true });
  // Write then rename, so an interrupted download never leaves a truncated cache behind.
  writeFileSync(`${to}.part`, text);
  renameSync(`${to}.part`, to);
}

function firstLine(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
  return cause ? `${message}: ${cause}` : message;
}

/**
 * What a run records of the corpus it trains on: the SHA-256 of its bytes (any edit changes it), the
 * SHA-256 of its vocabulary — the characters in token-id order, which the embedding rows and the
 * logits are indexed by — and its size.
 */
export interface CorpusFingerprint {
  readonly sha256: string;
  readonly vocab_sha256: string;
  readonly bytes: number;
}

/** The corpus and model shape of a run, validated, and the corpus's fingerprint. */
export interface Prepared {
  readonly data: CharDataset;
  readonly source: CorpusSource;
  readonly config: GPTConfig;
  readonly fingerprint: CorpusFingerprint;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Finds ({@link locateCorpus}) and reads the corpus and checks the model shape against it (usage errors on bad input). */
export async function prepareCorpus(explicit: string | undefined, shape: Omit<GPTConfig, 'vocabSize'>): Promise<Prepared> {
  const source = await locateCorpus(explicit);
  const bytes = readFileSync(source.path);
  if (bytes.length === 0) throw new UsageError(`data file is empty: ${source.path}`);
  const { data, config } = datasetFor(bytes.toString('utf8'), shape);
  return { data, config, source, fingerprint: { sha256: sha256(bytes), vocab_sha256: sha256(JSON.stringify(data.chars)), bytes: bytes.length } };
}
