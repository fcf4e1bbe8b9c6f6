import type { Shape, TensorBackend } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import type { Random } from '../random.js';
import { formatShape } from '../shape.js';

/** A value that JSON can hold: the options of a norm are made of these. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A norm on a parameter's space, given by its linear minimization oracle and a matching init (the
 * reference implementation's norm objects: `lmo` and `init`).
 *
 * `lmo(g)` returns the point of the norm's unit ball most aligned with `g`:
 * `u = argmax_{‖u‖ ≤ 1} ⟨g, u⟩`, so `⟨g, lmo(g)⟩ = ‖g‖_*` (the dual norm). Like the reference it
 * returns the **+direction**; the update subtracts `γ·ρ·lmo(d)`.
 *
 * Norms are rebuilt from `{ kind, options }` by the norm registry (`normFromJSON`), so `options`
 * must be JSON data and `kind` a registered name.
 */
export interface Norm {
  /** The registry name of this norm, e.g. `"spectral"`. */
  readonly kind: string;
  /** The options it was built with, complete (defaults filled in) and JSON-safe. */
  readonly options: Readonly<Record<string, JsonValue>>;
  /** Throws an `UNSUPPORTED_SHAPE` {@link LmoError} naming `param` if the norm cannot handle `shape`. */
  check(shape: Shape, param: string): void;
  /**
   * The LMO of `g`, a parameter of shape `shape` seen as its 2-D `matrixView(shape)` (the only
   * rank the arithmetic primitives take). Returns a new tensor of `g`'s 2-D shape.
   */
  lmo<T>(backend: TensorBackend<T>, g: T, shape: Shape): T;
  /**
   * The LMOs of several tensors of one `shape` at once (optional: core maps {@link Norm.lmo}
   * otherwise). Spectral norms batch their orthogonalizations here.
   */
  lmoBatch?<T>(backend: TensorBackend<T>, gs: readonly T[], shape: Shape): T[];
  /**
   * Initial values before the group's radius, row-major, deterministic for `rng`: the reference's
   * init for this norm (on the unit sphere for sign, spectral, colNorm, rowNorm and frobenius; zeros
   * for biasRMS; per-tap orthogonal for spectralConv).
   */
  init(shape: Shape, rng: Random): Float32Array;
}

/** The ranks a norm defined on any tensor accepts. */
export const ANY_RANK: readonly number[] = [0, 1, 2, 3, 4];

/** Rejects shapes whose rank is not in `ranks`, and shapes with a dimension that is not a positive integer. */
export function requireRank(kind: string, shape: Shape, param: string, ranks: readonly number[], hint: string): void {
  if (!ranks.includes(shape.length)) {
    throw new LmoError('UNSUPPORTED_SHAPE', `norm ${kind} cannot be applied to parameter "${param}" of shape ${formatShape(shape)}: expected ${hint}`);
  }
  if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new LmoError(
      'UNSUPPORTED_SHAPE',
      `norm ${kind}: parameter "${param}" has shape ${formatShape(shape)}; every dimension must be a positive integer`,
    );
  }
}

/**
 * Reads a norm's options: rejects keys it does not know (a misspelt option must not be ignored)
 * and returns a reader for the known ones.
 */
export function readOptions(kind: string, options: unknown, known: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: options must be an object, got ${shown(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      const hint = known.length > 0 ? `its options are ${known.map((k) => `"${k}"`).join(', ')}` : 'it takes no options';
      throw new LmoError('UNKNOWN_NORM', `norm ${kind}: unknown option "${key}" (${hint})`);
    }
  }
  return o;
}

/** Validates a boolean option. */
export function boolOption(kind: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: option "${name}" must be a boolean, got ${shown(value)}`);
  }
  return value;
}

/** Validates a positive-integer option. */
export function intOption(kind: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: option "${name}" must be a positive integer, got ${shown(value)}`);
  }
  return value;
}

/** Validates an option that takes one of `choices`. */
export function choiceOption<C extends string>(kind: string, name: string, value: unknown, choices: readonly C[], fallback: C): C {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new LmoError('UNKNOWN_NORM', `norm ${kind}: option "${name}" must be ${choices.map((c) => `"${c}"`).join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as C;
}

/**
 * A norm whose options are all booleans: reads them against `defaults` (unknown keys and
 * non-booleans are errors), accepts the parameters of `ranks` (`hint` says what is expected), and
 * is given by the LMO and init that `body` builds from the options.
 */
export function flagNorm<K extends string>(
  kind: string,
  options: unknown,
  defaults: Readonly<Record<K, boolean>>,
  ranks: readonly number[],
  hint: string,
  body: (flags: Readonly<Record<K, boolean>>) => Pick<Norm, 'lmo' | 'init'>,
): Norm {
  const keys = Object.keys(defaults) as K[];
  const raw = readOptions(kind, options, keys);
  const flags = {} as Record<K, boolean>;
  for (const key of keys) flags[key] = boolOption(kind, key, raw[key], defaults[key]);
  return { kind, options: flags, check: (shape, param) => requireRank(kind, shape, param, ranks, hint), ...body(flags) };
}

/** A norm without options: it accepts the parameters of `ranks` and is given by its LMO and init. */
export function optionlessNorm(kind: string, options: unknown, ranks: readonly number[], hint: string, body: Pick<Norm, 'lmo' | 'init'>): Norm {
  return flagNorm(kind, options, {}, ranks, hint, () => body);
}
