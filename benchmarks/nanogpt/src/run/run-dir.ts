import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LmoError } from '@lmo/core';
import { acquireLock, removeLeftovers, writeFileAtomic, type Lock } from '@lmo/core/node';
import { checkpointName } from './checkpoint.js';
import { UsageError } from '../util/errors.js';

/** Where one run's files go. Checkpoints and `run.json` always live in `dir`. */
export interface RunPaths {
  readonly dir: string;
  /** The run's options, written first: a directory with this file holds a run. */
  readonly runFile: string;
  readonly metrics: string;
  readonly plot: string;
  readonly sample: string;
  checkpoint(optimizer: string): string;
}

export const RUN_FILE = 'run.json';
const RUN_FORMAT = 'lmo-nanogpt-run';

/** `x.jsonl` → `x` (the extension of the last path component only). */
const stem = (path: string): string => path.replace(/\.[^./\\]*$/, '');

/**
 * The output paths of a run in `dir`: `--json FILE` (else `dir/metrics.jsonl`), `--plot FILE` (else
 * beside `--json` as `.svg`, else `dir/loss.svg`), the sample beside the plot (`x.svg` → `x.sample.txt`,
 * `dir/sample.txt` by default).
 */
export function runPaths(dir: string, json?: string, plot?: string): RunPaths {
  const metrics = json !== undefined ? resolve(json) : join(dir, 'metrics.jsonl');
  const svg = plot !== undefined ? resolve(plot) : json !== undefined ? `${stem(metrics)}.svg` : join(dir, 'loss.svg');
  return {
    dir,
    runFile: join(dir, RUN_FILE),
    metrics,
    plot: svg,
    sample: json !== undefined || plot !== undefined ? `${stem(svg)}.sample.txt` : join(dir, 'sample.txt'),
    checkpoint: (optimizer) => join(dir, checkpointName(optimizer)),
  };
}

/**
 * Creates a new run directory `base/name` (`name-2`, `name-3`, … when taken): never an earlier
 * run's. The creation of the last component is the claim, so two runs started at once get two.
 */
export function claimNewRunDir(base: string, name: string): string {
  ensureDirectory(base, 'the output directory');
  for (let i = 1; ; i++) {
    const dir = join(base, i === 1 ? name : `${name}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create the run directory ${dir} (${(e as Error).message})`);
    }
  }
}

/** The default run directory name: optimizers, backend, seed and the start time. */
export function defaultRunName(optimizers: readonly string[], backend: string, seed: number, now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${optimizers.join('-vs-')}-${backend}-seed${seed}-${stamp}`;
}

/** Whether `dir` holds a run (its `run.json`). */
export function holdsRun(dir: string): boolean {
  return existsSync(join(dir, RUN_FILE));
}

/**
 * Makes `dir` (and its parents) a directory that can be written, or says in one line why not:
 * a component that is a file, a read-only or missing file system, no permission.
 */
export function ensureDirectory(dir: string, what: string): void {
  checkWritableDir(dir, what);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what}: cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Whether `dir` could be created and written, without creating anything: its nearest existing
 * ancestor must be a directory in which a file can be written (tried with a probe file, which is
 * what tells a read-only or special file system such as /proc, even to root).
 */
export function checkWritableDir(dir: string, what: string): void {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  if (!statSync(probe).isDirectory()) throw new UsageError(`${what}: ${probe} is a file, not a directory`);
  const test = join(probe, `.nanogpt-write-test-${process.pid}`);
  try {
    writeFileSync(test, '');
    unlinkSync(test);
  } catch (e) {
    throw new UsageError(`${what}: cannot write in ${probe === dir ? dir : `${probe} (to create ${dir})`} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Checks every output path before the first iteration: distinct files, writable directories, and
 * no earlier results overwritten unless `overwrite` (--force, or the run's own files on --resume).
 */
export function checkOutputs(paths: RunPaths, optimizers: readonly string[], overwrite: boolean): void {
  const named: Array<[string, string]> = [
    ['--json', paths.metrics],
    ['--plot', paths.plot],
    ['the sample (beside the plot)', paths.sample],
    [RUN_FILE, paths.runFile],
    ...optimizers.map((o): [string, string] => [`the ${o} checkpoint`, paths.checkpoint(o)]),
  ];
  checkWritableDir(paths.dir, `the run directory ${paths.dir}`);
  const seen = new Map<string, string>();
  for (const [what, path] of named) {
    const other = seen.get(path);
    if (other !== undefined) throw new UsageError(`${what} and ${other} would be the same file ${path}: choose other paths`);
    seen.set(path, what);
  }
  for (const [what, path] of named.slice(0, 3)) {
    if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${what} ${path} is a directory`);
    checkWritableDir(dirname(path), `${what} ${path}`);
    if (!overwrite && existsSync(path)) {
      throw new UsageError(`${what} ${path} already exists (an earlier run's): pass --force to overwrite it, or choose another path`);
    }
  }
}

/** A change accepted on `--resume` (a longer run, another learning rate, an edited corpus, ...). */
export interface RunChange {
  readonly at: string;
  /** The command that continued the run with the change. */
  readonly command: string;
  /** The step of the first checkpoint continued with it. */
  readonly step: number;
  /** What changed, from → to. */
  readonly changed: Readonly<Record<string, readonly [unknown, unknown]>>;
}

/** What `run.json` records: the options as parsed (paths absolute), for `--resume`, and the changes since. */
export interface RunRecord<O> {
  readonly format: typeof RUN_FORMAT;
  readonly version: 1;
  readonly command: string;
  readonly started: string;
  readonly options: O;
  readonly changes?: readonly RunChange[];
}

export function newRunRecord<O>(command: string, options: O): RunRecord<O> {
  return { format: RUN_FORMAT, version: 1, command, started: new Date().toISOString(), options };
}

export function writeRunRecord<O>(paths: RunPaths, record: RunRecord<O>): void {
  writeFileAtomic(paths.runFile, `${JSON.stringify(record, null, 2)}\n`);
}

export function readRunRecord<O>(dir: string): RunRecord<O> {
  const file = join(dir, RUN_FILE);
  if (!existsSync(file)) throw new UsageError(`--resume ${dir}: no run there (no ${RUN_FILE})`);
  let record: RunRecord<O>;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord<O>;
  } catch (e) {
    throw new UsageError(`--resume ${dir}: ${RUN_FILE} cannot be read (${(e as Error).message.split('\n')[0]})`);
  }
  if (record?.format !== RUN_FORMAT || record.version !== 1) throw new UsageError(`--resume ${dir}: ${RUN_FILE} is not a nanogpt run record`);
  return record;
}

/** The lock file in a run directory: present while a run works there. */
export const LOCK_FILE = '.nanogpt.lock';

/**
 * Locks run directory `dir` for this process (`@lmo/core/node`'s lock: a killed run's is taken over),
 * or refuses in one line naming the run that holds it; `what` says how the directory was given
 * (`--out r`). Then removes what killed writes left there (`removeLeftovers`).
 */
export function lockRunDir(dir: string, what: string): Lock {
  let lock: Lock;
  try {
    lock = acquireLock(join(dir, LOCK_FILE), { holder: 'nanogpt', resource: dir });
  } catch (e) {
    throw e instanceof LmoError && e.code === 'LOCKED' ? new UsageError(`${what}: ${e.message}`) : e;
  }
  removeLeftovers(dir);
  return lock;
}

/** `--force` on a directory that holds a run: its run files go (other files stay). */
export function clearRun(paths: RunPaths): void {
  const checkpoints = readdirSync(paths.dir).filter((f) => /^checkpoint-[\w-]+\.(safetensors|json)$/.test(f)).map((f) => join(paths.dir, f));
  for (const f of [paths.runFile, paths.metrics, paths.plot, paths.sample, ...checkpoints]) rmSync(f, { force: true });
}
