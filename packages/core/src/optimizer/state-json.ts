import { LmoError } from '../errors.js';
import { STATE_FORMAT, type OptimizerState, type ParameterState } from './state.js';

/** A saved float in JSON: a number, or `"-0"` (JSON numbers cannot hold a negative zero). */
type JsonFloat = number | '-0';

function floatsToJSON(values: Float32Array, name: string, buffer: string): JsonFloat[] {
  return Array.from(values, (x, i): JsonFloat => {
    if (!Number.isFinite(x)) throw new LmoError('STATE_MISMATCH', `cannot save optimizer state: the "${buffer}" buffer of "${name}" holds ${x} at index ${i}`);
    return Object.is(x, -0) ? '-0' : x;
  });
}

/**
 * A pure-JSON copy of a state: each Float32Array becomes an array of numbers (float32 values print
 * and parse back exactly) with `-0` written as `"-0"`, so the round trip is bit-exact.
 * @throws LmoError `STATE_MISMATCH` when a buffer holds NaN or ±Inf (such a state cannot be loaded).
 */
export function stateToJSON(state: OptimizerState): unknown {
  return {
    ...state,
    parameters: state.parameters.map((p) => {
      const legacy = (p as { momentum?: Float32Array }).momentum;
      return {
        ...p,
        ...(p.buffers === undefined ? {} : { buffers: Object.fromEntries(Object.entries(p.buffers).map(([k, v]) => [k, floatsToJSON(v!, p.name, k)])) }),
        ...(legacy === undefined ? {} : { momentum: floatsToJSON(legacy, p.name, 'momentum') }),
      };
    }),
  };
}

function corrupt(why: string): never {
  throw new LmoError('STATE_MISMATCH', `cannot read optimizer state: ${why}`);
}

function floatsFromJSON(m: unknown, name: string, buffer: string): Float32Array {
  if (!Array.isArray(m)) corrupt(`the "${buffer}" buffer of "${name}" is not an array`);
  const values = new Float32Array(m.length);
  m.forEach((v: unknown, k) => {
    if (v === '-0') values[k] = -0;
    else if (typeof v === 'number' && Number.isFinite(Math.fround(v))) values[k] = v;
    else corrupt(`the "${buffer}" buffer of "${name}" holds ${JSON.stringify(v)} at index ${k}; expected a finite float32 number`);
  });
  return values;
}

/**
 * The inverse of {@link stateToJSON}, validating every value: the structure, and each buffer entry
 * a number that float32 holds exactly as finite (or `"-0"`). States of versions 1 and 2 (one
 * `momentum` array per parameter) are read too. `loadState` then checks the state against the
 * optimizer.
 * @throws LmoError `STATE_MISMATCH` naming the parameter (and index) at fault.
 */
export function stateFromJSON(json: unknown): OptimizerState {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) corrupt(`expected an object, got ${json === null ? 'null' : typeof json}`);
  const s = json as Record<string, unknown>;
  if (s['format'] !== STATE_FORMAT) corrupt(`format is ${JSON.stringify(s['format'])}, expected "${STATE_FORMAT}"`);
  if (!Array.isArray(s['parameters'])) corrupt('"parameters" is not an array');
  const parameters = (s['parameters'] as unknown[]).map((p, i): ParameterState => {
    if (p === null || typeof p !== 'object') corrupt(`parameters[${i}] is not an object`);
    const entry = p as Record<string, unknown>;
    const name = typeof entry['name'] === 'string' ? entry['name'] : corrupt(`parameters[${i}].name is not a string`);
    const out: Record<string, unknown> = { ...entry };
    const buffers = entry['buffers'];
    if (buffers !== undefined) {
      if (buffers === null || typeof buffers !== 'object' || Array.isArray(buffers)) corrupt(`the buffers of "${name}" are not an object`);
      out['buffers'] = Object.fromEntries(Object.entries(buffers).map(([k, v]) => [k, floatsFromJSON(v, name, k)]));
    }
    if (entry['momentum'] !== undefined) out['momentum'] = floatsFromJSON(entry['momentum'], name, 'momentum');
    return out as unknown as ParameterState;
  });
  return { ...(s as unknown as OptimizerState), parameters };
}
