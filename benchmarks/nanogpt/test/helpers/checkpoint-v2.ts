// The writer of version 2 checkpoints (`lmo-nanogpt-checkpoint`), as the benchmark had it before its
// checkpoints became @lmo/core's: kept here to make version 2 files for the reader's tests. That it
// writes what that code wrote is checked against files it wrote (test/fixtures/checkpoint-v2-*).
import { createHash } from 'node:crypto';
import { encodeSafetensors, stateFromJSON, type SafetensorsTensor } from '@lmo/core';
import { paramSpecs, sizeOf } from '@lmo/gpt';
import type { Checkpoint } from '../../src/run/checkpoint.js';

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Core's state (pure JSON) as JSON with `{ "$tensor": name }` for each buffer, and those buffers as tensors. */
function splitState(state: unknown, shapeOf: (name: string) => readonly number[] | undefined): { json: unknown; tensors: Map<string, SafetensorsTensor> } {
  const tensors = new Map<string, SafetensorsTensor>();
  const walk = (v: unknown, path: readonly string[], around: unknown): unknown => {
    if (v instanceof Float32Array) {
      const name = 'optimizer.' + path.join('.');
      const fits = (s: unknown): s is number[] => Array.isArray(s) && s.reduce((a: number, d: number) => a * d, 1) === v.length;
      const named = shapeOf(path.at(-1)!);
      tensors.set(name, { dtype: 'F32', shape: fits(around) ? around : fits(named) ? named : [v.length], data: v });
      return { $tensor: name };
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, typeof (item as { name?: unknown })?.name === 'string' ? (item as { name: string }).name : String(i)], around));
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const shape = Array.isArray(o['shape']) ? o['shape'] : around;
      return Object.fromEntries(Object.entries(o).map(([k, item]) => [k, walk(item, [...path, k], shape)]));
    }
    return v;
  };
  const json = walk(stateFromJSON(state), [], undefined);
  return { json: { ...(json as object), $json: true }, tensors };
}

/** A version 2 checkpoint file of `c`. */
export function encodeVersion2(c: Checkpoint): Uint8Array {
  const { weights, optimizer_state, step, finished, evals, timing, summary, ...run } = c;
  delete (run as { version?: number }).version; // what a loaded checkpoint adds
  delete (run as { file?: string }).file;
  const shapes = new Map(paramSpecs(c.config).map((s) => [s.name, s.shape]));
  const shapeOf = (name: string): readonly number[] | undefined => {
    const shape = shapes.get(name);
    return shape !== undefined && c.weights[name]?.length === sizeOf(shape) ? shape : undefined;
  };
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, data] of Object.entries(weights)) tensors.set(name, { dtype: 'F32', shape: shapeOf(name) ?? [data.length], data });
  const state = splitState(optimizer_state, shapeOf);
  for (const [name, t] of state.tensors) tensors.set(name, t);
  const record = { step, finished, evals, timing, ...(summary ? { summary } : {}) };
  const parts = { run: JSON.stringify(run), record: JSON.stringify(record), optimizer_state: JSON.stringify(state.json) };
  const checksums = {
    metadata: { run: sha256(parts.run), record: sha256(parts.record), optimizer_state: sha256(parts.optimizer_state) },
    tensors: Object.fromEntries([...tensors].map(([name, t]) => [name, sha256(bytesOf(t.data as Float32Array))])),
  };
  const meta: Record<string, string> = { format: 'lmo-nanogpt-checkpoint', version: '2', ...parts, sha256: JSON.stringify(checksums) };
  const table = [...tensors].map(([name, t]) => [name, t.dtype, t.shape]).sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
  meta['checksum'] = sha256(JSON.stringify([meta['format'], meta['version'], meta['sha256'], table]));
  return encodeSafetensors(tensors, meta);
}
