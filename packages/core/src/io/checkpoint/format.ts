/**
 * The checkpoint file's constants, types and checksums: one safetensors file holding a run's weights,
 * its optimizer state and the caller's metadata, with a SHA-256 over every part (the layout table is
 * on `decodeCheckpoint`).
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { LmoError } from '../../errors.js';
import type { OptimizerState } from '../../optimizer/state.js';
import type { SafetensorsTensor } from '../safetensors/format.js';

/** The `format` of a checkpoint's metadata. */
export const CHECKPOINT_FORMAT = 'lmo-checkpoint';
/** The checkpoint layout version this library writes and reads. */
export const CHECKPOINT_VERSION = '1';
/** Metadata keys that are not the caller's. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['format', 'version', 'state', 'sha256', 'checksum']);

/** Float32 values by name: a Map or a plain object. */
export type CheckpointWeights = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

/** What a checkpoint holds: the weights, the optimizer's state (`getState()`), and metadata parts. */
export interface Checkpoint {
  /** Each parameter's values, row-major. */
  readonly weights: CheckpointWeights;
  readonly state: OptimizerState;
  /** JSON values by key (the run's settings, a record of losses, …); each is a checksummed part. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A checkpoint as read: {@link Checkpoint} with its weights in a Map and its metadata always present. */
export interface DecodedCheckpoint extends Checkpoint {
  readonly weights: Map<string, Float32Array>;
  readonly metadata: Record<string, unknown>;
}

/** The `sha256` metadata entry. */
export interface Checksums {
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: Readonly<Record<string, string>>;
}

/** SHA-256 of bytes, or of text as UTF-8, in hex. */
export function hash(data: Uint8Array | string): string {
  return bytesToHex(sha256(typeof data === 'string' ? new TextEncoder().encode(data) : data));
}

/** A tensor's bytes, as they are in the file (little-endian). */
export function tensorBytes(t: SafetensorsTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** The checksum over what the parts' and tensors' own checksums do not cover. */
export function headerChecksum(meta: Readonly<Record<string, string>>, tensors: ReadonlyMap<string, SafetensorsTensor>): string {
  const table = [...tensors].map(([name, t]) => [name, t.dtype, t.shape] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hash(JSON.stringify([meta['format'], meta['version'], meta['sha256'], table]));
}

/** The tensor name of a parameter's optimizer buffer. */
export const stateTensorName = (parameter: string, buffer: string): string => `state.${parameter}.${buffer}`;

export function invalid(message: string): never {
  throw new LmoError('INVALID_CHECKPOINT', `invalid checkpoint: ${message}`);
}

export function unwritable(message: string): never {
  throw new LmoError('INVALID_CHECKPOINT', `cannot write checkpoint: ${message}`);
}
