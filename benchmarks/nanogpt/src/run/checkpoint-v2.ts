import { stateToJSON, type OptimizerState, type SafetensorsFile } from '@lmo/core';
import { sha256 } from './identity.js';

/**
 * Reads a checkpoint of version 2 (`lmo-nanogpt-checkpoint`, written before checkpoints were
 * `@lmo/core`'s), so that a run saved then still resumes. Its layout is core's checkpoint with
 * other names: the optimizer's buffers are float32 tensors `optimizer.parameters.<name>.buffers.<buffer>`,
 * referred to as `{"$tensor": name}` from the `optimizer_state` part (core's state, `"$json": true`);
 * the parts `run`, `record` and `optimizer_state`, the per-part and per-tensor SHA-256 in `sha256`
 * and the header's `checksum` are computed as core computes them.
 */
export const VERSION_2_FORMAT = 'lmo-nanogpt-checkpoint';

/** A version 2 file that is not what it says: the message names the part at fault. */
export class DamagedCheckpoint extends Error {
  override readonly name = 'DamagedCheckpoint';
}

const PARTS = ['run', 'record', 'optimizer_state'] as const;
const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The run, the record, the weights and the optimizer state (in the JSON form its `saveState()` gave) of a version 2 file, every checksum checked. */
export function decodeVersion2(file: SafetensorsFile): { run: unknown; record: unknown; weights: Record<string, Float32Array>; optimizerState: unknown } {
  const meta = file.metadata;
  if (meta['version'] !== '2') throw new DamagedCheckpoint(`its version is ${JSON.stringify(meta['version'])}; this nanogpt reads ${VERSION_2_FORMAT} 2`);
  const keys = new Set(['format', 'version', ...PARTS, 'sha256', 'checksum']);
  const extra = Object.keys(meta).find((k) => !keys.has(k));
  if (extra !== undefined) throw new DamagedCheckpoint(`its metadata has an unknown key ${JSON.stringify(extra)}`);
  const table = [...file.tensors].map(([name, t]) => [name, t.dtype, t.shape] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  if (meta['checksum'] !== sha256(JSON.stringify([meta['format'], meta['version'], meta['sha256'], table]))) {
    throw new DamagedCheckpoint("its header (the checksums, the tensors' names, dtypes and shapes) does not match its checksum");
  }
  const sums = parse(meta['sha256'], 'sha256') as { metadata?: Record<string, string>; tensors?: Record<string, string> };
  const parts = Object.fromEntries(PARTS.map((part) => {
    if (sha256(meta[part] ?? '') !== sums.metadata?.[part]) throw new DamagedCheckpoint(`its ${part.replace('_', ' ')} does not match its checksum`);
    return [part, parse(meta[part], part)];
  })) as Record<(typeof PARTS)[number], unknown>;
  for (const [name, t] of file.tensors) {
    if (t.dtype !== 'F32') throw new DamagedCheckpoint(`tensor ${name} is ${t.dtype}, not F32`);
    if (sha256(bytesOf(t.data)) !== sums.tensors?.[name]) throw new DamagedCheckpoint(`the data of ${name} does not match its checksum`);
  }
  const missing = Object.keys(sums.tensors ?? {}).find((name) => !file.tensors.has(name));
  if (missing !== undefined) throw new DamagedCheckpoint(`tensor ${missing} is missing`);
  const used = new Set<string>();
  const join = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(join);
    if (v === null || typeof v !== 'object') return v;
    const ref = (v as { $tensor?: unknown }).$tensor;
    if (typeof ref !== 'string') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, join(item)]));
    const t = ref.startsWith('optimizer.') ? file.tensors.get(ref) : undefined;
    if (t === undefined) throw new DamagedCheckpoint(`its optimizer state refers to a tensor ${ref} that the file does not have`);
    used.add(ref);
    return t.data;
  };
  const { $json, ...state } = parts.optimizer_state as { $json?: unknown };
  const joined = join(state);
  const weights: Record<string, Float32Array> = {};
  for (const [name, t] of file.tensors) {
    if (!name.startsWith('optimizer.')) weights[name] = t.data as Float32Array;
    else if (!used.has(name)) throw new DamagedCheckpoint(`the file has an optimizer tensor ${name} that its optimizer state does not use`);
  }
  return { run: parts.run, record: parts.record, weights, optimizerState: $json === true ? stateToJSON(joined as OptimizerState) : joined };
}

function parse(text: string | undefined, what: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw new DamagedCheckpoint(`its ${what} is not JSON`);
  }
}
