import { LmoError } from '../../errors.js';
import { STATE_FORMAT, type OptimizerState, type ParameterState } from '../../optimizer/state.js';
import { fromBfloat16Bits, fromFloat16Bits } from '../half-precision.js';
import { decodeSafetensors } from '../safetensors/decode.js';
import type { SafetensorsFile, SafetensorsTensor } from '../safetensors/format.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, hash, headerChecksum, invalid, tensorBytes, type Checksums, type DecodedCheckpoint } from './format.js';

/** The tensor dtype of each storage dtype. */
const TENSOR_DTYPE = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const;

/**
 * Reads a checkpoint written by {@link encodeCheckpoint}, checking every checksum before it returns
 * anything.
 *
 * The file is safetensors. Its tensors: each weight under its own name (`F32`, in its parameter's
 * shape), each optimizer buffer as `state.<parameter>.<buffer>` in its storage dtype (`F32`, `BF16`
 * or `F16`). Its `__metadata__`:
 *
 * | key | value |
 * | --- | --- |
 * | `format`, `version` | `"lmo-checkpoint"`, `"1"` |
 * | `state` | the optimizer state as JSON, each buffer replaced by its tensor's name |
 * | any other key | a metadata part: a JSON value |
 * | `sha256` | `{"metadata": {part: hex}, "tensors": {name: hex}}`: SHA-256 of each part's text and each tensor's bytes |
 * | `checksum` | SHA-256 of the JSON text `[format, version, sha256, [[name, dtype, shape], …]]` (tensors sorted by name) |
 *
 * @returns The weights (float32, by name, in the order of the state's parameters, then the others;
 * views into `bytes` where aligned), the optimizer state (its 16-bit buffers widened exactly,
 * as `getState()` gives them; pass it to `loadState`, which checks it against the optimizer), and
 * the metadata parts, parsed.
 * @throws LmoError `INVALID_CHECKPOINT` naming what is damaged: not a safetensors file (a truncated
 * one, say), another format or version, the header (checksums, tensor names, dtypes or shapes), a
 * metadata part, a tensor's data, a tensor missing or one the checksums do not list, a state buffer
 * whose tensor is absent, of the wrong dtype or shape, or used twice.
 */
export function decodeCheckpoint(bytes: Uint8Array): DecodedCheckpoint {
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof LmoError) invalid(e.message.replace(/^invalid safetensors: /, 'not a valid safetensors file: '));
    throw e;
  }
  const meta = file.metadata;
  if (meta['format'] !== CHECKPOINT_FORMAT) invalid(`its format is ${JSON.stringify(meta['format'])}, not "${CHECKPOINT_FORMAT}"`);
  if (meta['version'] !== CHECKPOINT_VERSION) invalid(`its version is ${JSON.stringify(meta['version'])}; this library reads version ${CHECKPOINT_VERSION}`);
  if (meta['checksum'] !== headerChecksum(meta, file.tensors)) invalid("its header (the checksums, the tensors' names, dtypes and shapes) does not match its checksum");
  const checksums = parse('sha256', meta['sha256']) as Checksums;
  if (!isRecord(checksums) || !isRecord(checksums.metadata) || !isRecord(checksums.tensors)) invalid('its sha256 entry is not { metadata, tensors }');

  const parts: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(meta)) {
    if (key === 'format' || key === 'version' || key === 'sha256' || key === 'checksum') continue;
    const sum = own(checksums.metadata, key);
    if (sum === undefined) invalid(`its metadata part "${key}" has no checksum`);
    if (hash(text) !== sum) invalid(`its metadata part "${key}" does not match its checksum`);
    parts[key] = parse(`metadata part "${key}"`, text);
  }
  const absent = Object.keys(checksums.metadata).find((key) => !Object.hasOwn(meta, key));
  if (absent !== undefined) invalid(`its metadata part "${absent}" is missing`);
  if (!Object.hasOwn(parts, 'state')) invalid('it has no state');

  for (const [name, t] of file.tensors) {
    const sum = own(checksums.tensors, name);
    if (sum === undefined) invalid(`tensor "${name}" has no checksum`);
    if (hash(tensorBytes(t)) !== sum) invalid(`the data of tensor "${name}" does not match its checksum`);
  }
  const missing = Object.keys(checksums.tensors).find((name) => !file.tensors.has(name));
  if (missing !== undefined) invalid(`tensor "${missing}" is missing`);

  const { state: json, ...metadata } = parts;
  const rest = new Map(file.tensors);
  const state = loadState(json, rest);
  const weights = new Map<string, Float32Array>();
  // The state's parameter order first (the order the optimizer was built in), then the others in the file's.
  const order = [...state.parameters.map((p) => p.name).filter((name) => rest.has(name)), ...rest.keys()];
  for (const name of order) {
    const t = rest.get(name)!;
    if (t.dtype !== 'F32') invalid(`the weights "${name}" are ${t.dtype}, not F32`);
    weights.set(name, t.data);
  }
  return { weights, state, metadata };
}

/** The state part with its buffers read from (and taken out of) `tensors`. */
function loadState(json: unknown, tensors: Map<string, SafetensorsTensor>): OptimizerState {
  const s = json as Record<string, unknown>;
  if (!isRecord(s) || s['format'] !== STATE_FORMAT || !Array.isArray(s['parameters'])) invalid(`its state is not an optimizer state ("${STATE_FORMAT}" with a list of parameters)`);
  const parameters = (s['parameters'] as unknown[]).map((p, i): ParameterState => {
    if (!isRecord(p) || typeof p['name'] !== 'string') invalid(`its state's parameters[${i}] has no name`);
    const name = p['name'];
    const refs = p['buffers'];
    if (refs === undefined) return p as unknown as ParameterState;
    if (!isRecord(refs)) invalid(`the buffers of "${name}" in its state are not an object`);
    const dtypes = isRecord(p['dtypes']) ? p['dtypes'] : {};
    const buffers: Record<string, Float32Array> = {};
    for (const [buffer, ref] of Object.entries(refs)) {
      const what = `the "${buffer}" buffer of "${name}"`;
      const t = typeof ref === 'string' ? tensors.get(ref) : undefined;
      if (t === undefined) invalid(`${what} names a tensor ${JSON.stringify(ref)} that the file does not have (or another buffer uses)`);
      tensors.delete(ref as string);
      const dtype = own(dtypes, buffer) ?? 'float32';
      const expected = TENSOR_DTYPE[dtype as keyof typeof TENSOR_DTYPE];
      if (t.dtype !== expected) invalid(`${what} is a ${t.dtype} tensor, but its dtype is ${JSON.stringify(dtype)}`);
      buffers[buffer] = t.dtype === 'F32' ? t.data : t.dtype === 'BF16' ? fromBfloat16Bits(t.data) : fromFloat16Bits(t.data as Uint16Array);
    }
    return { ...(p as unknown as ParameterState), buffers };
  });
  return { ...(s as unknown as OptimizerState), parameters };
}

function parse(what: string, text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    invalid(`its ${what} is not JSON`);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An own string property (never one inherited from Object.prototype, such as "constructor"). */
function own(record: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = Object.hasOwn(record, key) ? record[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}
