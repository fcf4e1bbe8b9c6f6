/**
 * Handoff bundles and run directories: a run's last checkpoint written as a bundle
 * (`pnpm nanogpt export-torch`), and a bundle made a run directory that `--resume` continues.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTorchHandoff, LmoError, stateFromJSON } from '@lmo/core';
import type { RunOptions } from '../cli/options.js';
import { bundleRun, isOptimizerName, paramSpecs, runOptions, type BundleResume, type OptimizerName } from '@lmo/gpt';
import { inconsistency } from '../run/checkpoint-check.js';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from '../run/checkpoint.js';
import type { CorpusFingerprint } from '@lmo/gpt/node';
import { holdsRun, newRunRecord, readRunRecord, runPaths, writeRunRecord } from '../run/run-dir.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import { writeBundle } from './bundle.js';

/** What {@link exportRun} wrote. */
export interface Exported {
  readonly optimizer: OptimizerName;
  readonly step: number;
  readonly iters: number;
  readonly to: string;
}

/**
 * Writes the last checkpoint of optimizer `optimizer` (default: the run's) of the run in `dir` as a
 * bundle in `to` (default `dir/torch-<step>`). Everything is checked first: a run there, the
 * checkpoint (its checksums, that it holds together, that it records its corpus and evaluation
 * settings), a Scion-family optimizer scion.py continues, and a target that is new or empty (or
 * `force`); a refusal is a usage error naming what is wrong, and nothing is written.
 */
export function exportRun(dir: string, o: { readonly to?: string; readonly optimizer?: string; readonly force?: boolean } = {}): Exported {
  if (!holdsRun(dir)) throw new UsageError(`${typedPath(dir)} holds no run (no run.json): give the directory of a pnpm nanogpt run`);
  const record = readRunRecord<RunOptions>(dir);
  const names = [record.options.optimizer, ...(record.options.compare !== undefined ? [record.options.compare] : [])];
  const name = o.optimizer ?? names[0]!;
  if (!names.includes(name) || !isOptimizerName(name)) throw new UsageError(`--optimizer ${name}: the run in ${typedPath(dir)} trains ${names.join(' and ')}`);
  const path = runPaths(dir).checkpoint(name);
  const ck: LoadedCheckpoint | undefined = loadCheckpoint(path);
  if (ck === undefined) throw new UsageError(`${typedPath(dir)} has no checkpoint of ${name} yet (${typedPath(path)})`);
  const damaged = inconsistency(ck, paramSpecs(ck.config));
  if (damaged !== undefined) throw new UsageError(`checkpoint ${typedPath(ck.file)} is damaged: ${damaged}`);
  if (ck.compensation === 'kahan') {
    throw new UsageError(`checkpoint ${typedPath(ck.file)}: its ${ck.dtype} weights keep Kahan compensation buffers, which scion.py has no place for: a run with --compensation none or stochastic hands over (as its exact float32 values)`);
  }
  const run = {
    optimizer: name,
    lr: ck.lr,
    config: ck.config,
    settings: { iters: ck.iters, batchSize: ck.batch_size, evalEvery: ck.eval_every, evalIters: ck.eval_iters, seed: ck.seed },
    dataHash: ck.data.sha256,
    ...(record.options.data !== undefined ? { dataPath: record.options.data } : {}),
  };
  let files;
  try {
    files = encodeTorchHandoff({ weights: ck.weights, options: runOptions(name, ck.lr, ck.iters), state: stateFromJSON(ck.optimizer_state) });
  } catch (e) {
    if (e instanceof LmoError) throw new UsageError(`checkpoint ${typedPath(ck.file)}: ${e.message}`);
    throw e;
  }
  const to = o.to ?? join(dir, `torch-${ck.step}`);
  if (existsSync(to) && readdirSync(to).length > 0 && o.force !== true) throw new UsageError(`${typedPath(to)} exists and is not empty (--force overwrites the bundle's files there)`);
  writeBundle(to, bundleRun(run, ck.evals, ck.backend), files);
  return { optimizer: name, step: ck.step, iters: ck.iters, to };
}

/**
 * Makes the bundle `b` (read and checked by `resumeFromBundle`) in `dir` a run directory that
 * `--resume` continues: `run.json` with the bundle's run (on its lmo backend, unless `options` was
 * given another) and `options`' other settings (corpus, sampling, saving), and the bundle's
 * weights and optimizer state as the checkpoint. Call it holding the directory's lock.
 */
export function adoptBundle(dir: string, b: BundleResume, options: RunOptions, data: CorpusFingerprint, command: string): void {
  const { config, settings: s } = b;
  const paths = runPaths(dir);
  const run: RunOptions = {
    ...options,
    optimizer: b.optimizer,
    lr: b.lr,
    iters: s.iters,
    seed: s.seed,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nEmbd: config.nEmbd,
    blockSize: config.blockSize,
    batchSize: s.batchSize,
    evalEvery: s.evalEvery,
    evalIters: s.evalIters,
    out: dir,
    compare: undefined,
    json: undefined,
    plot: undefined,
    resume: undefined,
    force: undefined,
    acceptChanges: undefined,
    stopAt: undefined,
  };
  saveCheckpoint(paths.checkpoint(b.optimizer), {
    optimizer: b.optimizer, backend: options.backend, lr: b.lr, seed: s.seed, iters: s.iters,
    config, batch_size: s.batchSize, eval_every: s.evalEvery, eval_iters: s.evalIters, data, dtype: 'float32', compensation: 'none',
    step: b.resume.start.step, finished: false, evals: [...b.resume.start.evals], timing: b.resume.start.timing,
    weights: b.resume.weights, optimizer_state: b.resume.optimizerState,
  });
  writeRunRecord(paths, newRunRecord(command, run));
}
