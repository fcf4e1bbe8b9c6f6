import { decodeCheckpoint, encodeCheckpoint as encodeCoreCheckpoint, LmoError, stateFromJSON, stateToJSON } from '@lmo/core';
import { writeCheckpointFile } from '@lmo/core/node';
import { existsSync, readFileSync } from 'node:fs';
import type { EvalRecord, TrainTiming } from '@lmo/gpt';
import type { SummaryRecord } from '../report/jsonl.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import type { RunIdentity } from './identity.js';

/**
 * Everything needed to continue one optimizer's training exactly where it stopped: what it was
 * trained under (its {@link RunIdentity}), the weights, the optimizer's state (core's versioned
 * state), the number of optimizer steps taken — which is also the position in the seeded training
 * batch stream, so the batches continue where they stopped — the evaluations so far and the time spent.
 */
export interface Checkpoint extends RunIdentity {
  /** Optimizer steps taken, and training batches drawn. */
  readonly step: number;
  /** True once the run reached `iters` (its last evaluation and summary included). */
  readonly finished: boolean;
  readonly evals: EvalRecord[];
  readonly timing: TrainTiming;
  readonly summary?: SummaryRecord;
  readonly weights: Record<string, Float32Array>;
  /** The optimizer's own state, as its `saveState()` gave it. */
  readonly optimizer_state: unknown;
}

/** A checkpoint as read, and the file it came from. */
export type LoadedCheckpoint = Checkpoint & { readonly file: string };

/** The checkpoint of `optimizer` in run directory `dir`: a safetensors file. */
export const checkpointName = (optimizer: string): string => `checkpoint-${optimizer}.safetensors`;

/**
 * `@lmo/core`'s checkpoint (safetensors with a SHA-256 over every tensor and part) of the weights and
 * the optimizer state, with what the run was trained under (`run`) and where it stands (`record`:
 * step, finished, evaluations, time, summary) as its metadata parts.
 */
function coreCheckpoint(c: Checkpoint): Parameters<typeof writeCheckpointFile>[1] {
  const { weights, optimizer_state, step, finished, evals, timing, summary, ...run } = c;
  const record = { step, finished, evals, timing, ...(summary ? { summary } : {}) };
  return { weights, state: stateFromJSON(optimizer_state), metadata: { run, record } };
}

/** The file's bytes (see {@link saveCheckpoint}). */
export const encodeCheckpoint = (c: Checkpoint): Uint8Array => encodeCoreCheckpoint(coreCheckpoint(c));

/** Writes a checkpoint atomically (`@lmo/core/node`: a crash at any moment leaves the previous one loadable). */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  writeCheckpointFile(path, coreCheckpoint(c));
}

/**
 * Reads a checkpoint, checking its checksums; `undefined` when there is none. A damaged or foreign
 * file is a usage error naming it and what is wrong, and so is a checkpoint of the JSON format this
 * benchmark wrote before its checkpoints were `@lmo/core`'s.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint | undefined {
  const json = path.replace(/\.safetensors$/, '.json');
  if (!existsSync(path) && json !== path && existsSync(json)) {
    throw new UsageError(`checkpoint ${typedPath(json)} is JSON, a format this nanogpt no longer reads: start the run over, or continue it with the nanogpt that wrote it`);
  }
  if (!existsSync(path)) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`checkpoint ${typedPath(path)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const { weights, state, metadata } = decodeCheckpoint(bytes);
    // a checkpoint from before 16-bit storage recorded no storage: float32
    return { dtype: 'float32', compensation: 'none', ...(metadata['run'] as object), ...(metadata['record'] as object), weights: Object.fromEntries(weights), optimizer_state: stateToJSON(state), file: path } as LoadedCheckpoint;
  } catch (e) {
    if (!(e instanceof LmoError)) throw e;
    throw new UsageError(`checkpoint ${typedPath(path)} is damaged: ${e.message.replace(/^invalid checkpoint: /, '')}`);
  }
}
