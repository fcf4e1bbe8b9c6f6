/**
 * The versioned optimizer state: what `getState()` returns and `loadState()` accepts, and its
 * validation (every value: type, length, finiteness).
 */
import type { Shape } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import { formatShape, sameShape, sizeOf } from '../shape.js';

/** The `format` tag of a saved optimizer state. */
export const STATE_FORMAT = 'lmo-optimizer-state';
/** The state layout version this library writes. Version 1 (no `light` flag) is still read. */
export const STATE_VERSION = 2;

/** One parameter's saved state. */
export interface ParameterState {
  readonly name: string;
  readonly shape: readonly number[];
  readonly group: string;
  /**
   * The optimizer's buffer for it, row-major: the momentum `d`, or in light mode the gradient
   * buffer `G`. Absent when it keeps none (α = 1).
   */
  readonly momentum?: Float32Array;
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
  /** Whether it was saved by a ScionLight optimizer (its buffers are then gradient buffers). */
  readonly light?: boolean;
  readonly parameters: readonly ParameterState[];
}

/** What {@link validateState} checks a state against: the optimizer's own parameters. */
export interface StateExpectation {
  readonly light: boolean;
  readonly parameters: ReadonlyArray<{ readonly name: string; readonly shape: Shape; readonly buffered: boolean }>;
}

/** A validated state: counters and one buffer (or none) per expected parameter, in its order. */
export interface ValidatedState {
  readonly step: number;
  readonly skippedSteps: number;
  readonly buffers: ReadonlyArray<Float32Array | undefined>;
}

function mismatch(why: string): never {
  throw new LmoError('STATE_MISMATCH', `cannot load optimizer state: ${why}; nothing was changed`);
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) mismatch(`${what} is ${String(value)}, expected an integer ≥ 0`);
  return value;
}

/**
 * Checks a state against what the optimizer expects, changing nothing: format and version,
 * counters, the same parameter names (each once), shapes, whether each has a buffer, and every
 * buffer a Float32Array of the right length holding finite values.
 * @throws LmoError `STATE_MISMATCH` naming the parameter or field at fault.
 */
export function validateState(state: unknown, expected: StateExpectation): ValidatedState {
  if (state === null || typeof state !== 'object') mismatch('expected the object returned by getState()');
  const s = state as Partial<OptimizerState>;
  if (s.format !== STATE_FORMAT) mismatch(`format is ${JSON.stringify(s.format)}, expected "${STATE_FORMAT}"`);
  if (s.version !== 1 && s.version !== STATE_VERSION) mismatch(`version ${String(s.version)} is not supported (this library reads 1 and ${STATE_VERSION})`);
  const step = count(s.step, 'step');
  const skippedSteps = s.skippedSteps === undefined ? 0 : count(s.skippedSteps, 'skippedSteps');
  const light = s.light ?? false;
  if (typeof light !== 'boolean') mismatch(`light is ${String(light)}, expected a boolean`);
  if (light !== expected.light) {
    mismatch(light ? 'it was saved by a ScionLight optimizer and this one is not light' : 'this optimizer is ScionLight and the state was not saved by one');
  }
  if (!Array.isArray(s.parameters)) mismatch('"parameters" is not an array');
  const saved = new Map<string, Record<string, unknown>>();
  s.parameters.forEach((p: unknown, i) => {
    if (p === null || typeof p !== 'object') mismatch(`parameters[${i}] is not an object`);
    const name = (p as { name?: unknown }).name;
    if (typeof name !== 'string') mismatch(`parameters[${i}].name is ${String(name)}, expected a string`);
    if (saved.has(name)) mismatch(`parameter "${name}" appears more than once in it`);
    saved.set(name, p as Record<string, unknown>);
  });
  for (const { name } of expected.parameters) if (!saved.has(name)) mismatch(`parameter "${name}" is missing from it`);
  for (const name of saved.keys()) {
    if (!expected.parameters.some((p) => p.name === name)) mismatch(`it holds parameter "${name}", which this optimizer does not have`);
  }
  const buffers = expected.parameters.map(({ name, shape, buffered }) => {
    const p = saved.get(name)!;
    const savedShape = p['shape'];
    if (!Array.isArray(savedShape) || !sameShape(savedShape as number[], shape)) {
      mismatch(`parameter "${name}" has shape ${Array.isArray(savedShape) ? formatShape(savedShape as number[]) : String(savedShape)} in it, expected ${formatShape(shape)}`);
    }
    if (p['group'] !== undefined && typeof p['group'] !== 'string') mismatch(`parameter "${name}": group is ${String(p['group'])}, expected a string`);
    const m = p['momentum'];
    if (!buffered) {
      if (m !== undefined) mismatch(`parameter "${name}" has a buffer in it, but this optimizer keeps none for it`);
      return undefined;
    }
    if (m === undefined) mismatch(`parameter "${name}" has no buffer in it`);
    const size = sizeOf(shape);
    if (!(m instanceof Float32Array) || m.length !== size) {
      const got = m instanceof Float32Array ? `a Float32Array of length ${m.length}` : Object.prototype.toString.call(m);
      mismatch(`the buffer of "${name}" must be a Float32Array of length ${size}, got ${got}`);
    }
    for (let i = 0; i < m.length; i++) {
      if (!Number.isFinite(m[i]!)) mismatch(`the buffer of "${name}" holds ${String(m[i])} at index ${i}; expected finite values`);
    }
    return m;
  });
  return { step, skippedSteps, buffers };
}
