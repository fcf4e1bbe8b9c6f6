import { existsSync, readFileSync } from 'node:fs';
import type { GPTConfig } from '../model/config.js';
import type { SummaryRecord } from '../report/jsonl.js';
import type { EvalRecord, TrainTiming } from '../train/trainer.js';
import type { DataFingerprint } from './identity.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';

export const CHECKPOINT_FORMAT = 'lmo-nanogpt-checkpoint';
export const CHECKPOINT_VERSION = 1;

/**
 * Everything needed to continue one optimizer's training exactly where it stopped: the weights,
 * the optimizer's state (core's versioned state, or AdamW's moments), the number of optimizer
 * steps taken — which is also the position in the seeded training batch stream, so the batches
 * continue where they stopped — the evaluations so far and the time spent.
 */
export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
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
  /** The optimizer's own state, as its `saveState()` gave it (Float32Arrays kept exact). */
  readonly optimizer_state: unknown;
}

/** Float32Arrays travel as base64 of their bytes: exact and compact. */
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float32Array) return { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { $f32?: unknown }).$f32 === 'string') {
    const bytes = Buffer.from((value as { $f32: string }).$f32, 'base64');
    if (bytes.length % 4 !== 0) throw new Error('a float32 array whose byte length is not a multiple of 4');
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  return value;
}

/** The file's text (JSON with base64 float32 arrays). */
export function encodeCheckpoint(c: Checkpoint): string {
  return JSON.stringify(c, replacer);
}

/** Writes a checkpoint atomically: a crash at any moment leaves the previous one loadable. */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(c));
}

/** Reads and checks a checkpoint; `undefined` when there is none. A damaged or foreign file is a usage error. */
export function loadCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  let c: Checkpoint;
  try {
    c = JSON.parse(readFileSync(path, 'utf8'), reviver) as Checkpoint;
  } catch (e) {
    throw new UsageError(`checkpoint ${path} cannot be read (${(e as Error).message.split('\n')[0]})`);
  }
  if (c?.format !== CHECKPOINT_FORMAT) throw new UsageError(`${path} is not a nanogpt checkpoint`);
  if (c.version !== CHECKPOINT_VERSION) throw new UsageError(`checkpoint ${path} has version ${String(c.version)}; this nanogpt reads version ${CHECKPOINT_VERSION}`);
  if (!Number.isSafeInteger(c.step) || c.step < 0 || c.step > c.iters) throw new UsageError(`checkpoint ${path}: step ${String(c.step)} is not in [0, ${c.iters}]`);
  for (const [name, w] of Object.entries(c.weights ?? {})) {
    if (!(w instanceof Float32Array)) throw new UsageError(`checkpoint ${path}: weights of ${name} are not a float32 array`);
  }
  return c;
}
