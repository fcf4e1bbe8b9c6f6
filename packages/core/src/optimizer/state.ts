/** The `format` tag of a saved optimizer state. */
export const STATE_FORMAT = 'lmo-optimizer-state';
/** The state layout version this library writes and reads. */
export const STATE_VERSION = 1;

/** One parameter's saved state. */
export interface ParameterState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly group: string;
  /** The momentum buffer `d`, row-major (absent with α = 1 or ScionLight). */
  readonly momentum?: Float32Array;
}

/**
 * A saved optimizer state: a plain object whose only non-JSON values are Float32Arrays (use
 * {@link stateToJSON} / {@link stateFromJSON} for a pure-JSON form).
 */
export interface OptimizerState {
  readonly format: typeof STATE_FORMAT;
  readonly version: number;
  readonly step: number;
  readonly skippedSteps?: number;
  readonly parameters: readonly ParameterState[];
}

/** A saved float in JSON: a number, or a string for the values JSON numbers cannot hold. */
type JsonFloat = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

function encodeFloat(x: number): JsonFloat {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/**
 * A pure-JSON copy of a state: each Float32Array becomes an array of numbers (float32 values print
 * and parse back exactly), with `"NaN"`, `"Infinity"`, `"-Infinity"` and `"-0"` as strings, so
 * `JSON.stringify` works in every JavaScript runtime and the round trip is bit-exact.
 */
export function stateToJSON(state: OptimizerState): unknown {
  return {
    ...state,
    parameters: state.parameters.map((p) => (p.momentum ? { ...p, momentum: Array.from(p.momentum, encodeFloat) } : p)),
  };
}

/** The inverse of {@link stateToJSON}: arrays become Float32Arrays again (validation happens in `loadState`). */
export function stateFromJSON(json: unknown): OptimizerState {
  const s = json as { parameters?: unknown };
  if (!s || typeof s !== 'object' || !Array.isArray(s.parameters)) return json as OptimizerState;
  return {
    ...(json as OptimizerState),
    parameters: s.parameters.map((p: { momentum?: unknown }) =>
      Array.isArray(p?.momentum)
        ? { ...(p as ParameterState), momentum: Float32Array.from(p.momentum as JsonFloat[], (v) => (typeof v === 'string' ? Number(v) : v)) }
        : (p as ParameterState),
    ),
  };
}
