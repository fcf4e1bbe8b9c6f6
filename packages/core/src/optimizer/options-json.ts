import { LmoError, shown } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import { normFromJSON, normToJSON, type NormJSON } from '../norms/registry.js';
import type { Schedule } from '../schedules/schedules.js';
import { scheduleFromJSON, scheduleToJSON, type ScheduleSpec } from '../schedules/spec.js';
import type { Matcher } from './groups.js';
import type { NonFinitePolicy, OptimizerOptions } from './options.js';

/** A matcher as JSON: a glob, or a RegExp's source and flags. Functions cannot be saved. */
export type MatcherJSON = { readonly glob: string } | { readonly regexp: string; readonly flags: string } | { readonly rank: number | readonly number[] };

/** A group as JSON. */
export interface GroupJSON {
  readonly name?: string;
  readonly match?: readonly MatcherJSON[];
  readonly norm: NormJSON;
  readonly scale?: number;
  readonly lr?: number;
  readonly momentum?: number;
  readonly unconstrained?: boolean;
}

/** Optimizer options as JSON data (norms and schedule as their registry data). */
export interface OptionsJSON {
  readonly lr: number;
  readonly momentum?: number;
  readonly scale?: number;
  readonly unconstrained?: boolean;
  readonly light?: boolean;
  readonly nonFinite?: NonFinitePolicy;
  readonly schedule?: ScheduleSpec;
  readonly norm?: NormJSON;
  readonly groups?: readonly GroupJSON[];
}

function matcherToJSON(m: Matcher, where: string): MatcherJSON {
  if (typeof m === 'string') return { glob: m };
  if (m instanceof RegExp) return { regexp: m.source, flags: m.flags };
  if (typeof m === 'object' && m !== null && 'rank' in m) return { rank: m.rank };
  throw new LmoError('GROUP_ROUTING', `${where}: a function "match" cannot be saved; use a glob or a RegExp`);
}

function matcherFromJSON(m: unknown, where: string): Matcher {
  const j = (m ?? {}) as { glob?: unknown; regexp?: unknown; flags?: unknown; rank?: unknown };
  if (typeof j.glob === 'string') return j.glob;
  if (j.rank !== undefined) return { rank: j.rank as number | number[] };
  if (typeof j.regexp === 'string') return new RegExp(j.regexp, typeof j.flags === 'string' ? j.flags : '');
  throw new LmoError('GROUP_ROUTING', `${where}: unknown matcher ${JSON.stringify(m)} (expected { glob }, { regexp, flags } or { rank })`);
}

/** The entries of `source` named in `keys` that are defined, unchanged. */
function plain<K extends string>(source: Partial<Record<K, unknown>>, keys: readonly K[]): Partial<Record<K, unknown>> {
  return Object.fromEntries(keys.flatMap((k) => (source[k] !== undefined ? [[k, source[k]]] : []))) as Partial<Record<K, unknown>>;
}

/** A group's or the options' values that JSON holds as they are. */
const GROUP_VALUES = ['name', 'scale', 'lr', 'momentum', 'unconstrained'] as const;
const OPTION_VALUES = ['momentum', 'scale', 'unconstrained', 'light', 'nonFinite'] as const;

/** Converts what needs converting (matchers, norms, schedules) one way or the other. */
interface Codec {
  matchers(match: unknown, where: string): unknown[];
  norm(norm: unknown): unknown;
  schedule(schedule: unknown): unknown;
}

function convert(options: Record<string, unknown>, codec: Codec): Record<string, unknown> {
  const groups = (options['groups'] as Array<Record<string, unknown>> | undefined)?.map((g, i) => {
    const where = `groups[${i}]`;
    if (g === null || typeof g !== 'object') throw new LmoError('GROUP_ROUTING', `${where} must be an object`);
    return {
      ...plain(g, GROUP_VALUES),
      ...(g['match'] !== undefined ? { match: codec.matchers(g['match'], where) } : {}),
      norm: codec.norm(g['norm']),
    };
  });
  return {
    lr: options['lr'],
    ...plain(options, OPTION_VALUES),
    ...(options['schedule'] !== undefined ? { schedule: codec.schedule(options['schedule']) } : {}),
    ...(options['norm'] !== undefined ? { norm: codec.norm(options['norm']) } : {}),
    ...(groups !== undefined ? { groups } : {}),
  };
}

const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);

/**
 * Options as JSON data: norms through the norm registry, the schedule as its spec, matchers as
 * globs or RegExp sources. Values are not validated here (the optimizer does that).
 * @throws LmoError when something cannot be saved: a function `match`, a plain-function schedule,
 *   an unregistered norm.
 */
export function optionsToJSON(options: OptimizerOptions): OptionsJSON {
  return convert(options as unknown as Record<string, unknown>, {
    matchers: (match, where) => list(match).map((m) => matcherToJSON(m as Matcher, where)),
    norm: (norm) => normToJSON(norm as Norm),
    schedule: (schedule) => scheduleToJSON(schedule as Schedule),
  }) as unknown as OptionsJSON;
}

/** Rebuilds options from {@link optionsToJSON}'s data (validated when an optimizer is built from them). */
export function optionsFromJSON(json: OptionsJSON): OptimizerOptions {
  if (json === null || typeof json !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', `optimizer options must be an object, got ${shown(json)}`);
  return convert(json as unknown as Record<string, unknown>, {
    matchers: (match, where) => list(match).map((m) => matcherFromJSON(m, where)),
    norm: (norm) => normFromJSON(norm as NormJSON),
    schedule: (schedule) => scheduleFromJSON(schedule as ScheduleSpec),
  }) as unknown as OptimizerOptions;
}
