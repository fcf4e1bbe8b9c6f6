import { LmoError } from '../errors.js';
import { STATE_FORMAT, type OptimizerState, type ParameterState } from './state.js';

/** A saved float in JSON: a number, or `"-0"` (JSON numbers cannot hold a negative zero). */
type JsonFloat = number | '-0';

/**
 * A pure-JSON copy of a state: each Float32Array becomes an array of numbers (float32 values print
 * and parse back exactly) with `-0` written as `"-0"`, so the round trip is bit-exact.
 * @throws LmoError `STATE_MISMATCH` when a buffer holds NaN or ±Inf (such a state cannot be loaded).
 */
export function stateToJSON(state: OptimizerState): unknown {
  return {
    ...state,
    parameters: state.parameters.map((p) => {
      if (p.momentum === undefined) return p;
      const values = Array.from(p.momentum, (x, i): JsonFloat => {
        if (!Number.isFinite(x)) {
          throw new LmoError('STATE_MISMATCH', `cannot save optimizer state: the buffer of "${p.name}" holds ${x} at index ${i}`);
        }
        return Object.is(x, -0) ? '-0' : x;
      });
      return { ...p, momentum: values };
    }),
  };
}

function corrupt(why: string): never {
  throw new LmoError('STATE_MISMATCH', `cannot read optimizer state: ${why}`);
}

/**
 * The inverse of {@link stateToJSON}, validating every value: the structure, and each buffer entry
 * a number that float32 holds exactly as finite (or `"-0"`). `loadState` then checks the state
 * against the optimizer.
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
    const m = entry['momentum'];
    if (m === undefined) return entry as unknown as ParameterState;
    if (!Array.isArray(m)) corrupt(`the buffer of "${name}" is not an array`);
    const values = new Float32Array(m.length);
    m.forEach((v: unknown, k) => {
      if (v === '-0') values[k] = -0;
      else if (typeof v === 'number' && Number.isFinite(Math.fround(v))) values[k] = v;
      else corrupt(`the buffer of "${name}" holds ${JSON.stringify(v)} at index ${k}; expected a finite float32 number`);
    });
    return { ...(entry as unknown as ParameterState), momentum: values };
  });
  return { ...(s as unknown as OptimizerState), parameters };
}
