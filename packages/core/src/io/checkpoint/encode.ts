import type { StorageDtype } from '../../backend/contract.js';
import { LmoError, shown } from '../../errors.js';
import { STATE_FORMAT, type ParameterState } from '../../optimizer/state.js';
import { sizeOf } from '../../shape.js';
import { isStorageDtype } from '../../storage/dtypes.js';
import { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from '../half-precision.js';
import { encodeSafetensors } from '../safetensors/encode.js';
import type { SafetensorsTensor } from '../safetensors/format.js';
import { isTypedArray } from '../typed-arrays.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  RESERVED_KEYS,
  hash,
  headerChecksum,
  stateTensorName,
  tensorBytes,
  unwritable,
  type Checkpoint,
  type Checksums,
} from './format.js';

/**
 * Writes a training run's weights, optimizer state and metadata as one checkpoint file: safetensors
 * with a SHA-256 over every metadata part and every tensor, laid out as the `Checkpoint` format
 * describes (see {@link decodeCheckpoint} for the table). The optimizer's buffers are tensors in
 * their storage dtype (a buffer the state's `dtypes` marks `bfloat16` is a `BF16` tensor), so a
 * 16-bit state is stored in 16 bits and read back bit for bit.
 *
 * @param checkpoint `weights` (float32 by name), `state` (an optimizer's `getState()`), and
 * optional `metadata`: JSON values by key, each written as its own checksummed part.
 * @returns The file's bytes.
 * @throws LmoError `INVALID_CHECKPOINT` naming what cannot be written: a weight that is not a
 * Float32Array, a state that is not an optimizer state, a buffer whose values its 16-bit dtype does
 * not hold exactly, a metadata key that is reserved (`format`, `version`, `state`, `sha256`,
 * `checksum`) or a value that is not JSON, a weight named like an optimizer buffer's tensor.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  if (checkpoint === null || typeof checkpoint !== 'object') unwritable(`expected { weights, state, metadata? }, got ${shown(checkpoint)}`);
  const { weights, state, metadata = {} } = checkpoint;
  if (weights === null || typeof weights !== 'object') unwritable(`weights must be a Map or a record of Float32Arrays, got ${shown(weights)}`);
  if (state === null || typeof state !== 'object' || state.format !== STATE_FORMAT || !Array.isArray(state.parameters)) {
    unwritable(`state must be an optimizer state (getState()), with format "${STATE_FORMAT}" and a list of parameters`);
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) unwritable('metadata must be a record of JSON values');

  const shapes = new Map(state.parameters.map((p) => [p?.name, p?.shape]));
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, data] of weights instanceof Map ? [...(weights as ReadonlyMap<string, Float32Array>)] : Object.entries(weights)) {
    if (!isTypedArray(data, 'Float32Array')) unwritable(`the weights of "${name}" must be a Float32Array, got ${shown(data)}`);
    const shape = shapes.get(name);
    tensors.set(name, { dtype: 'F32', shape: fits(shape, data.length) ? shape : [data.length], data });
  }
  const parameters = state.parameters.map((p, i) => saveParameter(p, i, tensors));

  const parts: Record<string, string> = { state: JSON.stringify({ ...state, parameters }) };
  for (const [key, value] of Object.entries(metadata)) {
    if (RESERVED_KEYS.has(key)) unwritable(`the metadata key "${key}" is reserved (format, version, state, sha256 and checksum are the file's own)`);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      unwritable(`the metadata part "${key}" is not JSON (${(e as Error).message})`);
    }
    if (typeof text !== 'string') unwritable(`the metadata part "${key}" is not JSON (it is ${shown(value)})`);
    parts[key] = text;
  }
  const checksums: Checksums = {
    metadata: Object.fromEntries(Object.entries(parts).map(([key, text]) => [key, hash(text)])),
    tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, hash(tensorBytes(t))])),
  };
  const meta: Record<string, string> = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...parts, sha256: JSON.stringify(checksums) };
  meta['checksum'] = headerChecksum(meta, tensors);
  try {
    return encodeSafetensors(tensors, meta);
  } catch (e) {
    if (e instanceof LmoError) unwritable(e.message.replace(/^cannot write safetensors: /, ''));
    throw e;
  }
}

/** A parameter's entry in the `state` part, its buffers added to `tensors` and replaced by their names. */
function saveParameter(p: ParameterState, i: number, tensors: Map<string, SafetensorsTensor>): ParameterState | Record<string, unknown> {
  if (p === null || typeof p !== 'object' || typeof p.name !== 'string') unwritable(`state.parameters[${i}] has no name`);
  const legacy = Object.keys(p).find((k) => k !== 'buffers' && (p as unknown as Record<string, unknown>)[k] instanceof Float32Array);
  if (legacy !== undefined) unwritable(`parameter "${p.name}" keeps "${legacy}" outside its buffers (a state of version 1 or 2: load it into the optimizer and save getState())`);
  if (p.buffers === undefined) return p;
  const names: Record<string, string> = {};
  for (const [buffer, values] of Object.entries(p.buffers)) {
    if (!isTypedArray(values, 'Float32Array')) unwritable(`the "${buffer}" buffer of "${p.name}" must be a Float32Array, got ${shown(values)}`);
    const dtype: unknown = p.dtypes?.[buffer as keyof typeof p.dtypes] ?? 'float32';
    if (!isStorageDtype(dtype)) unwritable(`the "${buffer}" buffer of "${p.name}" has the dtype ${shown(dtype)} (expected float32, bfloat16 or float16)`);
    const name = stateTensorName(p.name, buffer);
    if (tensors.has(name)) unwritable(`the tensor name "${name}" of the "${buffer}" buffer of "${p.name}" is already taken (by a weight or another buffer)`);
    tensors.set(name, stored(values, dtype, fits(p.shape, values.length) ? p.shape : [values.length], `the "${buffer}" buffer of "${p.name}"`));
    names[buffer] = name;
  }
  return { ...p, buffers: names };
}

/** A buffer as its storage dtype's tensor, checking that the dtype holds its values exactly. */
function stored(values: Float32Array, dtype: StorageDtype, shape: readonly number[], what: string): SafetensorsTensor {
  if (dtype === 'float32') return { dtype: 'F32', shape, data: values };
  const bits = dtype === 'bfloat16' ? toBfloat16Bits(values) : toFloat16Bits(values);
  const back = dtype === 'bfloat16' ? fromBfloat16Bits(bits) : fromFloat16Bits(bits);
  const i = back.findIndex((v, k) => !Object.is(v, values[k]) && !(Number.isNaN(v) && Number.isNaN(values[k]!)));
  if (i >= 0) unwritable(`${what} is marked ${dtype} but holds ${values[i]} at index ${i}, which ${dtype} does not hold exactly`);
  return { dtype: dtype === 'bfloat16' ? 'BF16' : 'F16', shape, data: bits };
}

const fits = (shape: unknown, length: number): shape is readonly number[] =>
  Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0) && sizeOf(shape) === length;
