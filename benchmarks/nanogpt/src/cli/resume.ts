import { resolve } from 'node:path';
import { paramSpecs, type GPTConfig } from '@lmo/gpt';
import { fieldProblem, inconsistency } from '../run/checkpoint-check.js';
import { loadCheckpoint, type LoadedCheckpoint } from '../run/checkpoint.js';
import type { CorpusFingerprint } from '@lmo/gpt/node';
import { describeDifference, differences, type Difference, type RunIdentity } from '../run/identity.js';
import { readRunRecord, type RunRecord } from '../run/run-dir.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import { RESUME_OPTIONS, type RunOptions } from './options.js';

/** `nEmbd` → `--n-embd`. */
const flagOf = (option: string): string => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** What `--resume DIR` continues: the run's record, and its options with those given on the command line. */
export interface ResumePlan {
  readonly dir: string;
  readonly record: RunRecord<RunOptions>;
  readonly options: RunOptions;
  /** The options given with `--resume` that change what run.json says. */
  readonly given: ReadonlySet<string>;
}

/**
 * The options of the run in `cli.resume`: run.json's, with the ones given beside `--resume` (those
 * in {@link RESUME_OPTIONS}; any other is a usage error).
 */
export function resumePlan(cli: RunOptions, explicit: ReadonlySet<string>): ResumePlan {
  const dir = resolve(cli.resume!);
  const extra = [...explicit].filter((k) => !RESUME_OPTIONS.has(k));
  if (extra.length > 0) {
    throw new UsageError(`--resume continues a run with the options it was started with; ${flagOf(extra[0]!)} cannot be changed (drop it)`);
  }
  const record = readRunRecord<RunOptions>(dir);
  const given = new Set([...explicit].filter((k) => !['resume', 'progress', 'acceptChanges'].includes(k)));
  const changed = Object.fromEntries([...given].map((k) => [k, k === 'data' ? resolve(cli.data!) : cli[k as keyof RunOptions]]));
  return { dir, record, given, options: { ...record.options, ...changed, progress: cli.progress, acceptChanges: cli.acceptChanges, out: dir } };
}

/** A checkpoint found on `--resume`, checked, with the changes it is continued with. */
export interface Resumed {
  readonly checkpoint: LoadedCheckpoint;
  /** Differences from the run as the checkpoint recorded it, all accepted. */
  readonly changes: readonly Difference[];
}

/**
 * Reads and checks the checkpoint at `path` for continuing it as `now` (`undefined` when there is
 * none): it must hold together ({@link inconsistency}: a damaged file, exit code 2) and agree with
 * `now` but for changes given with `--resume` (`plan.given`) or accepted with `--accept-changes`;
 * the model, its vocabulary and the optimizer never change, and `--iters` cannot drop below the
 * steps taken. Every refusal is one line naming the file and what disagrees.
 */
export function checkResume(path: string, now: RunIdentity, plan: ResumePlan, corpus: string): Resumed | undefined {
  const c = loadCheckpoint(path);
  if (c === undefined) return undefined;
  const file = typedPath(c.file);
  const damaged = (why: string | undefined): void => {
    if (why !== undefined) throw new UsageError(`checkpoint ${file} is damaged: ${why}`);
  };
  // What it was trained under must be legible before it can be compared with this run.
  damaged(fieldProblem(c));
  const diffs = differences(c, now); // a checkpoint records the identity it was trained under
  const where = (d: Difference): string =>
    d.label === 'corpus' || d.label === 'vocabulary' ? `the corpus ${typedPath(corpus)}` : plan.given.has(d.option ?? '') ? flagOf(d.option!) : 'run.json';
  const list = (ds: readonly Difference[]): string => ds.map((d) => `${describeDifference(d)} (${where(d)})`).join(', ');
  const fixed = diffs.filter((d) => d.fixed);
  if (fixed.length > 0) {
    throw new UsageError(`--resume ${typedPath(plan.dir)}: ${file} cannot be continued with ${list(fixed)}: the model, its vocabulary and the optimizer of a run never change`);
  }
  damaged(inconsistency(c, paramSpecs(now.config)));
  if (now.iters < c.step) throw new UsageError(`--resume ${typedPath(plan.dir)}: --iters ${now.iters} is fewer than the ${c.step} steps ${file} has taken`);
  const unaccepted = diffs.filter((d) => (d.confirm === true || !plan.given.has(d.option!)) && plan.options.acceptChanges !== true);
  if (unaccepted.length > 0) {
    throw new UsageError(
      `--resume ${typedPath(plan.dir)}: changed since ${file} was written: ${list(unaccepted)}; ` +
        `pass --accept-changes to continue with ${unaccepted.length > 1 ? 'these changes' : 'this change'}, or undo ${unaccepted.length > 1 ? 'them' : 'it'}`,
    );
  }
  return { checkpoint: c, changes: diffs };
}

/** The identity of optimizer `optimizer`'s training in a run with options `o`. */
export function identityFor(o: RunOptions, optimizer: string, lr: number, backend: string, config: GPTConfig, data: CorpusFingerprint): RunIdentity {
  return {
    optimizer, backend, lr, seed: o.seed, iters: o.iters, batch_size: o.batchSize, eval_every: o.evalEvery, eval_iters: o.evalIters, config, data,
    dtype: o.dtype ?? 'float32', compensation: o.compensation ?? 'none',
  };
}
