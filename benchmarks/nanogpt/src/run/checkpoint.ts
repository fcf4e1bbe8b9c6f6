import { STATE_FORMAT, STATE_VERSION, stateToJSON } from '@lmo/core';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { paramSpecs, sizeOf, type GPTConfig, type EvalRecord, type TrainTiming } from '@lmo/gpt';
import type { SummaryRecord } from '../report/jsonl.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import { DamagedCheckpoint, decodeCheckpointFile, encodeCheckpointFile, FORMAT } from './checkpoint-file.js';
import type { DataFingerprint } from './identity.js';

/**
 * Everything needed to continue one optimizer's training exactly where it stopped: what it was
 * trained under, the weights, the optimizer's state (core's versioned state, or AdamW's moments),
 * the number of optimizer steps taken — which is also the position in the seeded training batch
 * stream, so the batches continue where they stopped — the evaluations so far and the time spent.
 */
export interface Checkpoint {
  readonly optimizer: string;
  readonly backend: string;
  readonly lr: number;
  readonly seed: number;
  readonly iters: number;
  readonly config: GPTConfig;
  readonly batch_size: number;
  /** The evaluation settings (not in version 1). */
  readonly eval_every?: number;
  readonly eval_iters?: number;
  /** The corpus trained on (not in version 1). */
  readonly data?: DataFingerprint;
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

/** A checkpoint as read: the file it came from, and its format's version (1: JSON without checksums). */
export type LoadedCheckpoint = Checkpoint & { readonly file: string; readonly version: 1 | 2 };

/** The checkpoint of `optimizer` in run directory `dir`: a safetensors file. */
export const checkpointName = (optimizer: string): string => `checkpoint-${optimizer}.safetensors`;

/** Where version 1 kept it (JSON): still read, removed once a version 2 checkpoint is written. */
export const legacyPath = (path: string): string => path.replace(/\.safetensors$/, '.json');

/** The file's bytes: safetensors with checksums over every tensor and every part of the record. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { weights, optimizer_state, step, finished, evals, timing, summary, ...run } = c;
  const shapes = new Map(paramSpecs(c.config).map((s) => [s.name, s.shape]));
  // A weight whose size does not fit its shape (never one this benchmark trained) is kept as it is, one-dimensional.
  const shapeOf = (name: string): readonly number[] | undefined => {
    const shape = shapes.get(name);
    return shape !== undefined && c.weights[name]?.length === sizeOf(shape) ? shape : undefined;
  };
  return encodeCheckpointFile({ run, record: { step, finished, evals, timing, ...(summary ? { summary } : {}) }, weights, optimizerState: optimizer_state }, shapeOf);
}

/** Writes a checkpoint atomically (a crash at any moment leaves the previous one loadable), then drops a version 1 file it replaces. */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(c));
  if (legacyPath(path) !== path) rmSync(legacyPath(path), { force: true });
}

/**
 * Reads a checkpoint (at `path`, or a version 1 file beside it), checking its checksums; `undefined`
 * when there is none. A damaged or foreign file is a usage error naming it and what is wrong.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint | undefined {
  const file = existsSync(path) ? path : existsSync(legacyPath(path)) ? legacyPath(path) : undefined;
  if (file === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`checkpoint ${typedPath(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    // A version 1 checkpoint is JSON; a safetensors file starts with its header's size.
    if (bytes[0] === 0x7b) return { ...decodeVersion1(bytes), file, version: 1 };
    const { run, record, weights, optimizerState } = decodeCheckpointFile(bytes);
    return { ...(run as object), ...(record as object), weights, optimizer_state: optimizerState, file, version: 2 } as LoadedCheckpoint;
  } catch (e) {
    if (!(e instanceof DamagedCheckpoint)) throw e;
    throw new UsageError(`checkpoint ${typedPath(file)} is damaged: ${e.message}`);
  }
}

/** Version 1: JSON, float32 arrays as `{ "$f32": base64 }`; no checksums. */
function decodeVersion1(bytes: Uint8Array): Checkpoint {
  let c: Checkpoint & { format?: unknown; version?: unknown };
  try {
    c = JSON.parse(Buffer.from(bytes).toString('utf8'), (_key, value: unknown) => {
      if (value === null || typeof value !== 'object' || typeof (value as { $f32?: unknown }).$f32 !== 'string') return value;
      const raw = Buffer.from((value as { $f32: string }).$f32, 'base64');
      if (raw.length % 4 !== 0) throw new DamagedCheckpoint('a float32 array whose byte length is not a multiple of 4');
      const out = new Float32Array(raw.length / 4);
      new Uint8Array(out.buffer).set(raw);
      return out;
    }) as Checkpoint & { format?: unknown; version?: unknown };
  } catch (e) {
    throw e instanceof DamagedCheckpoint ? e : new DamagedCheckpoint(`it is not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (c?.format !== FORMAT) throw new DamagedCheckpoint('it is not a nanogpt checkpoint');
  if (c.version !== 1) throw new DamagedCheckpoint(`it is JSON of version ${String(c.version)}; this nanogpt reads JSON of version 1`);
  const { format: _f, version: _v, ...rest } = c;
  return { ...rest, optimizer_state: fromLocalAdamW(rest.optimizer_state, rest.config) };
}

/**
 * Version 1 kept AdamW's state as `{ t, m, v }` (its own AdamW, its moments by parameter); AdamW
 * is core's now, whose versioned state holds the same numbers as `exp_avg` and `exp_avg_sq`.
 */
function fromLocalAdamW(state: unknown, config: GPTConfig): unknown {
  const s = state as { t?: unknown; m?: Record<string, Float32Array>; v?: Record<string, Float32Array> } | null;
  if (s === null || typeof s !== 'object' || typeof s.t !== 'number' || typeof s.m !== 'object' || typeof s.v !== 'object') return state;
  let specs: ReturnType<typeof paramSpecs>;
  try {
    specs = paramSpecs(config);
  } catch {
    return state; // a config that is not one: reported as such
  }
  const buffers = (p: string): Record<string, Float32Array> | undefined => (s.m![p] instanceof Float32Array && s.v![p] instanceof Float32Array ? { exp_avg: s.m![p]!, exp_avg_sq: s.v![p]! } : undefined);
  if (specs.some((p) => buffers(p.name) === undefined)) return state; // incomplete: reported when it does not load
  // In the pure-JSON form that the optimizers' saveState() gives and their loadState() takes.
  return stateToJSON({ format: STATE_FORMAT, version: STATE_VERSION, step: s.t, skippedSteps: 0, parameters: specs.map((p) => ({ name: p.name, shape: p.shape, group: 'adamw', buffers: buffers(p.name) })) });
}
