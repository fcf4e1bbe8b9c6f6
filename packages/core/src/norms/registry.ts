import { LmoError, shown } from '../errors.js';
import { auto } from './auto.js';
import { biasRMS } from './bias-rms.js';
import { colNorm } from './col-norm.js';
import { frobenius } from './frobenius.js';
import { muonNorm } from './muon.js';
import type { JsonValue, Norm } from './norm.js';
import { rowNorm } from './row-norm.js';
import { sign, signUnscaled } from './sign.js';
import { spectral } from './spectral.js';
import { spectralConv } from './spectral-conv.js';
import { transposedFromOptions } from './transposed.js';

/** A norm as data: its registry name and its options. */
export interface NormJSON {
  readonly kind: string;
  readonly options?: Readonly<Record<string, JsonValue>>;
}

/** Builds a norm from its options (the `options` of {@link NormJSON}); throws `UNKNOWN_NORM` on bad options. */
export type NormFactory = (options: never) => Norm;

/** Every norm by name. Adding a norm is one file and one line here. */
const registry = new Map<string, NormFactory>([
  ['sign', sign],
  ['signUnscaled', signUnscaled],
  ['spectral', spectral],
  ['spectralConv', spectralConv],
  ['colNorm', colNorm],
  ['rowNorm', rowNorm],
  ['biasRMS', biasRMS],
  ['frobenius', frobenius],
  ['auto', auto],
  ['muon', muonNorm],
  ['transposed', transposedFromOptions],
]);

/**
 * Registers a norm of your own under `kind`, so that {@link normFromJSON} (and a saved optimizer
 * configuration) can rebuild it. `factory(norm.options)` must give back an equivalent norm.
 * @throws LmoError `UNKNOWN_NORM` when `kind` is taken.
 */
export function registerNorm(kind: string, factory: NormFactory): void {
  if (typeof kind !== 'string' || kind === '') throw new LmoError('UNKNOWN_NORM', 'registerNorm: kind must be a non-empty string');
  if (typeof factory !== 'function') throw new LmoError('UNKNOWN_NORM', `registerNorm("${kind}"): factory must be a function`);
  if (registry.has(kind)) throw new LmoError('UNKNOWN_NORM', `registerNorm: a norm named "${kind}" is already registered`);
  registry.set(kind, factory);
}

/** The names of the registered norms. */
export function normKinds(): string[] {
  return [...registry.keys()];
}

/**
 * A norm as JSON data: `{ kind, options }`.
 * @throws LmoError `UNKNOWN_NORM` when `norm.kind` is not registered (it could not be rebuilt).
 */
export function normToJSON(norm: Norm): NormJSON {
  if (!norm || typeof norm.lmo !== 'function') throw new LmoError('UNKNOWN_NORM', `expected a Norm, got ${shown(norm)}`);
  if (!registry.has(norm.kind)) {
    throw new LmoError('UNKNOWN_NORM', `norm "${shown(norm.kind)}" is not registered, so it cannot be saved: call registerNorm("${shown(norm.kind)}", factory) first`);
  }
  return { kind: norm.kind, options: norm.options };
}

/**
 * Rebuilds a norm from {@link normToJSON}'s data.
 * @throws LmoError `UNKNOWN_NORM` for an unknown kind or invalid options.
 */
export function normFromJSON(json: NormJSON): Norm {
  const kind = (json as { kind?: unknown } | null)?.kind;
  const factory = typeof kind === 'string' ? registry.get(kind) : undefined;
  if (factory === undefined) {
    throw new LmoError('UNKNOWN_NORM', `unknown norm ${JSON.stringify(kind)} (registered: ${normKinds().join(', ')})`);
  }
  return (factory as (options: unknown) => Norm)(json.options ?? {});
}
