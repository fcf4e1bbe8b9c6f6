import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '@lmo/core';
import { sha256 } from './identity.js';
import { joinState, splitState, type StateTensor } from './state-tensors.js';

/**
 * A checkpoint file (version 2): safetensors, which PyTorch and Hugging Face read. The weights are
 * float32 tensors under their PyTorch names (`transformer.h.0.attn.c_attn.weight`), the optimizer's
 * buffers float32 tensors under `optimizer.…` (core's state: `optimizer.parameters.<name>.buffers.momentum`,
 * `….gradient` for ScionLight, `….exp_avg` and `….exp_avg_sq` for AdamW), and everything else JSON
 * strings in the header's `__metadata__`:
 *
 * | key | what |
 * |---|---|
 * | `format`, `version` | `lmo-nanogpt-checkpoint`, `2` |
 * | `run` | what it was trained under: optimizer, backend, lr, seed, iters, batch size, evaluation settings, model config, the corpus's fingerprint |
 * | `record` | step, finished, evaluations, time, summary |
 * | `optimizer_state` | the optimizer's state with `{"$tensor": name}` where a buffer was |
 * | `sha256` | the SHA-256 of each of the three above and of each tensor's bytes |
 * | `checksum` | the SHA-256 of `format`, `version`, `sha256` and every tensor's name, dtype and shape |
 *
 * Any change to the file — a flipped bit in a weight, an edited loss in the record — fails a
 * checksum (or the safetensors layout) and is reported naming the part that disagrees.
 */
export const FORMAT = 'lmo-nanogpt-checkpoint';
export const VERSION = 2;

/** The metadata parts that hold JSON, each with its own checksum. */
const PARTS = ['run', 'record', 'optimizer_state'] as const;
type Part = (typeof PARTS)[number];

/** What a checkpoint file holds, decoded. */
export interface CheckpointContent {
  readonly run: unknown;
  readonly record: unknown;
  readonly weights: Record<string, Float32Array>;
  readonly optimizerState: unknown;
}

/** A checkpoint file that cannot be what it says: the message names the part at fault. */
export class DamagedCheckpoint extends Error {
  override readonly name = 'DamagedCheckpoint';
}

interface Checksums {
  readonly metadata: Record<Part, string>;
  readonly tensors: Record<string, string>;
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The checksum over everything that is not covered by a part's or a tensor's own checksum. */
function headerChecksum(meta: Readonly<Record<string, string>>, tensors: ReadonlyMap<string, SafetensorsTensor>): string {
  const table = [...tensors].map(([name, t]) => [name, t.dtype, t.shape]).sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
  return sha256(JSON.stringify([meta['format'], meta['version'], meta['sha256'], table]));
}

/** The file's bytes. `shapeOf(name)` gives a weight's shape (and the shape of optimizer buffers named after it). */
export function encodeCheckpointFile(c: CheckpointContent, shapeOf: (name: string) => readonly number[] | undefined): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, data] of Object.entries(c.weights)) tensors.set(name, { dtype: 'F32', shape: shapeOf(name) ?? [data.length], data });
  const state = splitState(c.optimizerState, shapeOf);
  for (const [name, t] of state.tensors) tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.data });
  const parts: Record<Part, string> = { run: JSON.stringify(c.run), record: JSON.stringify(c.record), optimizer_state: JSON.stringify(state.json) };
  const checksums: Checksums = {
    metadata: { run: sha256(parts.run), record: sha256(parts.record), optimizer_state: sha256(parts.optimizer_state) },
    tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, sha256(bytesOf(t.data as Float32Array))])),
  };
  const meta: Record<string, string> = { format: FORMAT, version: String(VERSION), ...parts, sha256: JSON.stringify(checksums) };
  meta['checksum'] = headerChecksum(meta, tensors);
  return encodeSafetensors(tensors, meta);
}

/**
 * Reads a file written by {@link encodeCheckpointFile}, checking every checksum first.
 * @throws DamagedCheckpoint naming what does not hold: the layout, a metadata part, a tensor.
 */
export function decodeCheckpointFile(bytes: Uint8Array): CheckpointContent {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    throw new DamagedCheckpoint((e as Error).message.replace(/^invalid safetensors: /, 'not a valid safetensors file: '));
  }
  const meta = file.metadata;
  if (meta['format'] !== FORMAT) throw new DamagedCheckpoint(`its format is ${JSON.stringify(meta['format'])}, not "${FORMAT}"`);
  if (meta['version'] !== String(VERSION)) throw new DamagedCheckpoint(`its version is ${JSON.stringify(meta['version'])}; this nanogpt reads ${VERSION} (and 1, as JSON)`);
  const expectedKeys = new Set(['format', 'version', ...PARTS, 'sha256', 'checksum']);
  const extra = Object.keys(meta).find((k) => !expectedKeys.has(k));
  if (extra !== undefined) throw new DamagedCheckpoint(`its metadata has an unknown key ${JSON.stringify(extra)}`);
  if (meta['checksum'] !== headerChecksum(meta, file.tensors)) {
    throw new DamagedCheckpoint('its header (the checksums, the tensors\' names, dtypes and shapes) does not match its checksum');
  }
  const checksums = parse<Checksums>(meta['sha256'], 'sha256');
  const parsed = {} as Record<Part, unknown>;
  for (const part of PARTS) {
    const text = meta[part];
    if (text === undefined) throw new DamagedCheckpoint(`its metadata has no ${part}`);
    if (sha256(text) !== checksums.metadata?.[part]) throw new DamagedCheckpoint(`its ${part.replace('_', ' ')} does not match its checksum`);
    parsed[part] = parse(text, part);
  }
  const weights: Record<string, Float32Array> = {};
  const stateTensors = new Map<string, StateTensor>();
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new DamagedCheckpoint(`tensor ${name} is ${t.dtype}, not F32`);
    const sum = checksums.tensors?.[name];
    if (sum === undefined) throw new DamagedCheckpoint(`tensor ${name} has no checksum`);
    if (sha256(bytesOf(t.data)) !== sum) throw new DamagedCheckpoint(`the data of ${name} does not match its checksum`);
    if (name.startsWith('optimizer.')) stateTensors.set(name, t);
    else weights[name] = t.data;
  }
  const missing = Object.keys(checksums.tensors ?? {}).find((name) => !file.tensors.has(name));
  if (missing !== undefined) throw new DamagedCheckpoint(`tensor ${missing} is missing`);
  let optimizerState: unknown;
  try {
    optimizerState = joinState(parsed.optimizer_state, stateTensors);
  } catch (e) {
    throw new DamagedCheckpoint(`its optimizer state: ${(e as Error).message}`);
  }
  return { run: parsed.run, record: parsed.record, weights, optimizerState };
}

function parse<T>(text: string | undefined, what: string): T {
  try {
    return JSON.parse(text ?? '') as T;
  } catch {
    throw new DamagedCheckpoint(`its ${what} is not JSON`);
  }
}
