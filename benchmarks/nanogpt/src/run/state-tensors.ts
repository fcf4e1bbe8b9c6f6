import { stateFromJSON, stateToJSON, type OptimizerState } from '@lmo/core';

/** The prefix of an optimizer buffer's tensor name in a checkpoint (the weights keep their PyTorch names). */
export const OPTIMIZER_PREFIX = 'optimizer.';

/** A buffer of the optimizer's state, as a checkpoint stores it: a float32 tensor. */
export interface StateTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Where a tensor stood in the state: `{ "$tensor": name }` in the JSON that remains. */
interface TensorRef {
  readonly $tensor: string;
}

const isRef = (v: unknown): v is TensorRef => v !== null && typeof v === 'object' && typeof (v as { $tensor?: unknown }).$tensor === 'string' && Object.keys(v).length === 1;

/**
 * Splits an optimizer's saved state into JSON and float32 tensors. Every Float32Array becomes a
 * tensor named after its path in the state, with a list entry that has a `name` (a parameter's)
 * standing for its index: core's `parameters[i].buffers.momentum` is
 * `optimizer.parameters.<name>.buffers.momentum` (AdamW's `exp_avg` and `exp_avg_sq` likewise). Its
 * shape is the nearest `shape` around it that holds its size, else `shapeOf(last path component)`
 * (a parameter's), else one dimension. Core's state in its pure-JSON form (`stateToJSON`) is read
 * back to its buffers first, so that they travel as tensors.
 */
export function splitState(state: unknown, shapeOf: (name: string) => readonly number[] | undefined): { json: unknown; tensors: Map<string, StateTensor> } {
  const tensors = new Map<string, StateTensor>();
  const walk = (v: unknown, path: readonly string[], around: unknown): unknown => {
    if (v instanceof Float32Array) {
      const name = OPTIMIZER_PREFIX + path.join('.');
      const fits = (s: unknown): s is number[] => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d)) && s.reduce((a: number, d: number) => a * d, 1) === v.length;
      const named = shapeOf(path.at(-1)!);
      const shape = fits(around) ? around : fits(named) ? named : [v.length];
      if (tensors.has(name)) throw new Error(`optimizer state: two buffers at ${name}`);
      tensors.set(name, { shape, data: v });
      return { $tensor: name } satisfies TensorRef;
    }
    if (Array.isArray(v)) {
      return v.map((item, i) => {
        const key = item !== null && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' ? (item as { name: string }).name : String(i);
        return walk(item, [...path, key], around);
      });
    }
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const shape = Array.isArray(o['shape']) ? o['shape'] : around;
      return Object.fromEntries(Object.entries(o).map(([k, item]) => [k, walk(item, [...path, k], shape)]));
    }
    return v;
  };
  const core = isCoreJson(state);
  const json = walk(core ? stateFromJSON(state) : state, [], undefined);
  return { json: core ? { ...(json as object), $json: true } : json, tensors };
}

/** The inverse of {@link splitState}: the state exactly as the optimizer saved it. */
export function joinState(json: unknown, tensors: ReadonlyMap<string, StateTensor>): unknown {
  const used = new Set<string>();
  const walk = (v: unknown): unknown => {
    if (isRef(v)) {
      const t = tensors.get(v.$tensor);
      if (t === undefined) throw new Error(`the optimizer state refers to a tensor ${v.$tensor} that the file does not have`);
      used.add(v.$tensor);
      return t.data;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item)]));
    return v;
  };
  const { $json, ...rest } = (json ?? {}) as { $json?: boolean };
  const state = walk($json === true ? rest : json);
  const unused = [...tensors.keys()].find((name) => !used.has(name));
  if (unused !== undefined) throw new Error(`the file has an optimizer tensor ${unused} that its optimizer state does not use`);
  return $json === true ? stateToJSON(state as OptimizerState) : state;
}

/** Whether `state` is core's optimizer state in its pure-JSON form (its buffers as lists of numbers). */
function isCoreJson(state: unknown): boolean {
  const s = state as { format?: unknown; parameters?: unknown } | null;
  if (s === null || typeof s !== 'object' || s.format !== 'lmo-optimizer-state' || !Array.isArray(s.parameters)) return false;
  return s.parameters.some((p: { momentum?: unknown; buffers?: Record<string, unknown> } | null) => Array.isArray(p?.momentum) || Object.values(p?.buffers ?? {}).some((b) => Array.isArray(b)));
}
