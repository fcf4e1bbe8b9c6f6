import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../util/errors.js';

export const SHAKESPEARE_URL =
  'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt';

const here = dirname(fileURLToPath(import.meta.url));
/** benchmarks/nanogpt */
export const PACKAGE_DIR = resolve(here, '../..');
/** The repository root. */
export const REPO_ROOT = resolve(PACKAGE_DIR, '../..');
export const CACHE_FILE = join(PACKAGE_DIR, '.cache', 'tinyshakespeare.txt');

/** Where the corpus comes from, for the log. */
export interface CorpusSource {
  readonly path: string;
  readonly how: '--data' | 'LMO_DATA' | 'shared' | 'cache' | 'download';
}

/**
 * Finds tiny shakespeare: `--data`, then `$LMO_DATA`, then `../shared/data/tinyshakespeare.txt`
 * beside the repository, then the cached copy in `benchmarks/nanogpt/.cache/`, else downloads it
 * into that cache. An explicit path that does not exist is an error (no silent fallback).
 */
export async function locateCorpus(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<CorpusSource> {
  if (explicit !== undefined) return { path: checkFile(resolve(explicit), '--data'), how: '--data' };
  const fromEnv = env['LMO_DATA'];
  if (fromEnv !== undefined && fromEnv !== '') return { path: checkFile(resolve(fromEnv), 'LMO_DATA'), how: 'LMO_DATA' };
  const shared = resolve(REPO_ROOT, '../shared/data/tinyshakespeare.txt');
  if (existsSync(shared)) return { path: shared, how: 'shared' };
  if (existsSync(CACHE_FILE)) return { path: CACHE_FILE, how: 'cache' };
  await download(SHAKESPEARE_URL, CACHE_FILE);
  return { path: CACHE_FILE, how: 'download' };
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
      `tiny shakespeare not found locally and the download failed (${(e as Error).message}): ` +
        `fetch ${url} yourself and pass --data FILE or set LMO_DATA`,
    );
  }
  if (text.length === 0) throw new UsageError(`downloaded corpus is empty: ${url}`);
  mkdirSync(dirname(to), { recursive: true });
  // Write then rename, so an interrupted download never leaves a truncated cache behind.
  writeFileSync(`${to}.part`, text);
  renameSync(`${to}.part`, to);
}

/** Reads the corpus as text; an empty file is a usage error. */
export function readCorpus(path: string): string {
  const text = readFileSync(path, 'utf8');
  if (text.length === 0) throw new UsageError(`data file is empty: ${path}`);
  return text;
}
