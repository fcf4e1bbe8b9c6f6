/**
 * The versioned optimizer state: what `getState()` returns and `loadState()` accepts, and its
 * validation (every value: type, length, finiteness).
 */
import type { Shape } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import { formatShape, sameShape, sizeOf } from '../shape.js';

/** The `format` tag of a saved optimizer state. */
export const STATE_FORMAT = 'lmo-optimizer-state';
/**
 * The state layout version this library writes: 3, buffers by name. Versions 1 and 2 (one
 * `momentum` array per parameter, `light` marking ScionLight's gradient buffers) are still read.
 */
export const STATE_VERSION = 3;

/**
 * The name of a buffer an optimizer keeps per parameter: `'momentum'` (the LMO's `d`), `'gradient'`
 * (ScionLight's `G`), `'exp_avg'` and `'exp_avg_sq'` (AdamW's `m` and `v`).
 */
export type BufferName = 'momentum' | 'gradient' | 'exp_avg' | 'exp_avg_sq';

/** One parameter's saved state. */
export interface ParameterState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly group: string;
  /** Its buffers by {@link BufferName}, row-major. Absent when it keeps none (an LMO group with α = 1). */
  readonly buffers?: Readonly<Partial<Record<BufferName, Float32Array>>>;
}

/**
 * A saved optimizer state: a plain object whose only non-JSON values are Float32Arrays (use
 * `stateToJSON` / `stateFromJSON` for a pure-JSON form).
 */
export interface OptimizerState {
  readonly format: typeof STATE_FORMAT;
  readonly version: number;
  /** Steps taken (the schedule's next index). */
  readonly step: number;
  readonly skippedSteps?: number;
  readonly parameters: readonly ParameterState[];
}

/** What {@link validateState} checks a state against: the optimizer's own parameters. */
export type StateExpectation = ReadonlyArray<{ readonly name: string; readonly shape: Shape; readonly buffers: readonly BufferName[] }>;

/** A validated state: counters and, per expected parameter in its order, its buffers by name. */
export interface ValidatedState {
  readonly step: number;
  readonly skippedSteps: number;
  readonly buffers: ReadonlyArray<ReadonlyMap<BufferName, Float32Array>>;
}

function mismatch(why: string): never {
  throw new LmoError('STATE_MISMATCH', `cannot load optimizer state: ${why}; nothing was changed`);
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) mismatch(`${what} is ${shown(value)}, expected an integer ≥ 0`);
  return value;
}

const describeBuffers = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', '));

/** A saved parameter's buffers by name, whatever the version (1 and 2 kept one `momentum` array). */
function savedBuffers(p: Record<string, unknown>, version: number, light: boolean, name: string): Record<string, unknown> {
  if (version >= 3) {
    const b = p['buffers'] ?? {};
    if (b === null || typeof b !== 'object' || Array.isArray(b)) mismatch(`parameter "${name}": "buffers" is not an object`);
    return b as Record<string, unknown>;
  }
  return p['momentum'] === undefined ? {} : { [light ? 'gradient' : 'momentum']: p['momentum'] };
}

/**
 * Checks a state against what the optimizer expects, changing nothing: format and version,
 * counters, the same parameter names (each once), shapes, the same buffers per parameter, and
 * every buffer a Float32Array of the right length holding finite values.
 * @throws LmoError `STATE_MISMATCH` naming the parameter or field at fault.
 */
export function validateState(state: unknown, expected: StateExpectation): ValidatedState {
  if (state === null || typeof state !== 'object') mismatch('expected the object returned by getState()');
  const s = state as Partial<OptimizerState> & { light?: unknown };
  if (s.format !== STATE_FORMAT) mismatch(`format is ${JSON.stringify(s.format)}, expected "${STATE_FORMAT}"`);
  const version = s.version;
  if (version !== 1 && version !== 2 && version !== STATE_VERSION) mismatch(`version ${shown(version)} is not supported (this library reads 1 to ${STATE_VERSION})`);
  const step = count(s.step, 'step');
  const skippedSteps = s.skippedSteps === undefined ? 0 : count(s.skippedSteps, 'skippedSteps');
  const light = s.light ?? false;
  if (typeof light !== 'boolean') mismatch(`light is ${shown(light)}, expected a boolean`);
  if (!Array.isArray(s.parameters)) mismatch('"parameters" is not an array');
  const saved = new Map<string, Record<string, unknown>>();
  s.parameters.forEach((p: unknown, i) => {
    if (p === null || typeof p !== 'object') mismatch(`parameters[${i}] is not an object`);
    const name = (p as { name?: unknown }).name;
    if (typeof name !== 'string') mismatch(`parameters[${i}].name is ${shown(name)}, expected a string`);
    if (saved.has(name)) mismatch(`parameter "${name}" appears more than once in it`);
    saved.set(name, p as Record<string, unknown>);
  });
  for (const { name } of expected) if (!saved.has(name)) mismatch(`parameter "${name}" is missing from it`);
  for (const name of saved.keys()) {
    if (!expected.some((p) => p.name === name)) mismatch(`it holds parameter "${name}", which this optimizer does not have`);
  }
  const buffers = expected.map(({ name, shape, buffers: wanted }) => {
    const p = saved.get(name)!;
    const savedShape = p['shape'];
    if (!Array.isArray(savedShape) || !sameShape(savedShape as number[], shape)) {
      mismatch(`parameter "${name}" has shape ${Array.isArray(savedShape) ? formatShape(savedShape as number[]) : String(savedShape)} in it, expected ${formatShape(shape)}`);
    }
    if (p['group'] !== undefined && typeof p['group'] !== 'string') mismatch(`parameter "${name}": group is ${shown(p['group'])}, expected a string`);
    const given = savedBuffers(p, version, light, name);
    const have = Object.keys(given).filter((k) => given[k] !== undefined);
    if (have.length !== wanted.length || !wanted.every((w) => have.includes(w))) {
      const lightHint = have.includes('gradient') !== wanted.includes('gradient') ? ' (ScionLight keeps "gradient" buffers, other LMO optimizers "momentum")' : '';
      mismatch(`parameter "${name}" has buffers ${describeBuffers(have)} in it, but this optimizer keeps ${describeBuffers(wanted)} for it${lightHint}`);
    }
    const size = sizeOf(shape);
    return new Map(
      wanted.map((buffer) => {
        const m = given[buffer];
        if (!(m instanceof Float32Array) || m.length !== size) {
          const got = m instanceof Float32Array ? `a Float32Array of length ${m.length}` : Object.prototype.toString.call(m);
          mismatch(`the "${buffer}" buffer of "${name}" must be a Float32Array of length ${size}, got ${got}`);
        }
        for (let i = 0; i < m.length; i++) {
          if (!Number.isFinite(m[i]!)) mismatch(`the "${buffer}" buffer of "${name}" holds ${shown(m[i])} at index ${i}; expected finite values`);
        }
        return [buffer, m] as const;
      }),
    );
  });
  return { step, skippedSteps, buffers };
}
