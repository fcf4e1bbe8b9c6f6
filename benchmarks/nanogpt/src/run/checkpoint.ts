import { decodeCheckpoint, decodeSafetensors, encodeCheckpoint as encodeCoreCheckpoint, LmoError, STATE_FORMAT, STATE_VERSION, stateFromJSON, stateToJSON } from '@lmo/core';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { paramSpecs, type CompensationName, type GPTConfig, type EvalRecord, type TrainTiming } from '@lmo/gpt';
import type { StorageDtype } from '@lmo/core';
import type { SummaryRecord } from '../report/jsonl.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError } from '../util/errors.js';
import { typedPath } from '../util/shell.js';
import { DamagedCheckpoint, decodeVersion2, VERSION_2_FORMAT } from './checkpoint-v2.js';
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
  /** How the weights and the optimizer's buffers were stored (absent: float32, no compensation). */
  readonly dtype?: StorageDtype;
  readonly compensation?: CompensationName;
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

/**
 * A checkpoint as read: the file it came from, and its format's version: 1 (JSON without
 * checksums), 2 (this benchmark's safetensors with checksums), 3 (`@lmo/core`'s checkpoint).
 */
export type LoadedCheckpoint = Checkpoint & { readonly file: string; readonly version: 1 | 2 | 3 };

/** The checkpoint of `optimizer` in run directory `dir`: a safetensors file. */
export const checkpointName = (optimizer: string): string => `checkpoint-${optimizer}.safetensors`;

/** Where version 1 kept it (JSON): still read, removed once a newer checkpoint is written. */
export const legacyPath = (path: string): string => path.replace(/\.safetensors$/, '.json');

/**
 * The file's bytes: `@lmo/core`'s checkpoint (safetensors with a SHA-256 over every tensor and
 * part) of the weights and the optimizer state, with what the run was trained under (`run`) and
 * where it stands (`record`: step, finished, evaluations, time, summary) as its metadata parts.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { weights, optimizer_state, step, finished, evals, timing, summary, ...run } = c;
  const record = { step, finished, evals, timing, ...(summary ? { summary } : {}) };
  return encodeCoreCheckpoint({ weights, state: stateFromJSON(optimizer_state), metadata: { run, record } });
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
    return { ...decode(bytes), file } as LoadedCheckpoint;
  } catch (e) {
    if (!(e instanceof DamagedCheckpoint || e instanceof LmoError)) throw e;
    throw new UsageError(`checkpoint ${typedPath(file)} is damaged: ${e.message.replace(/^invalid checkpoint: /, '').replace(/^invalid safetensors: /, 'not a valid safetensors file: ')}`);
  }
}

/** A checkpoint of any version, from its bytes. */
function decode(bytes: Uint8Array): Checkpoint & { readonly version: 1 | 2 | 3 } {
  // A version 1 checkpoint is JSON; a safetensors file starts with its header's size.
  if (bytes[0] === 0x7b) return { ...decodeVersion1(bytes), version: 1 };
  const file = decodeSafetensors(bytes);
  if (file.metadata['format'] === VERSION_2_FORMAT) {
    const { run, record, weights, optimizerState } = decodeVersion2(file);
    return { ...(run as object), ...(record as object), weights, optimizer_state: optimizerState, version: 2 } as Checkpoint & { version: 2 };
  }
  const { weights, state, metadata } = decodeCheckpoint(bytes);
  return { ...(metadata['run'] as object), ...(metadata['record'] as object), weights: Object.fromEntries(weights), optimizer_state: stateToJSON(state), version: 3 } as Checkpoint & { version: 3 };
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
  if (c?.format !== VERSION_2_FORMAT) throw new DamagedCheckpoint('it is not a nanogpt checkpoint');
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
