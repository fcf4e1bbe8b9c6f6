import type { TensorBackend } from '@lmo/core';
import type { ParamMap } from '../model.js';

/** Copies of the tensors' values, by name. */
export async function readBuffers<T>(backend: TensorBackend<T>, tensors: ParamMap<T>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of tensors) out[name] = Float32Array.from(await backend.read(t));
  return out;
}

/**
 * Writes saved values back into the tensors (all checked first: a missing name or a wrong length
 * changes nothing).
 */
export async function writeBuffers<T>(backend: TensorBackend<T>, tensors: ParamMap<T>, values: Record<string, Float32Array>, what: string): Promise<void> {
  for (const [name, t] of tensors) {
    const v = values[name];
    const size = backend.shape(t).reduce((a, d) => a * d, 1);
    if (!(v instanceof Float32Array) || v.length !== size) {
      throw new Error(`${what}: no saved values of length ${size} for ${name}`);
    }
  }
  const sources = [...tensors].map(([name, t]) => [t, backend.fromArray(values[name]!, backend.shape(t))] as const);
  await backend.run(() => {
    for (const [t, v] of sources) backend.assign(t, v);
  });
  for (const [, v] of sources) backend.dispose(v);
}
