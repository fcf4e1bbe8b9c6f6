import { LmoError } from '../errors.js';
import { normFromJSON, normToJSON, type NormJSON } from '../norms/registry.js';
import { scheduleFromJSON, scheduleToJSON, type ScheduleSpec } from '../schedules/spec.js';
import type { GroupSpec, Matcher } from './groups.js';
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

const NUMBERS = ['scale', 'lr', 'momentum'] as const;

/**
 * Options as JSON data: norms through the norm registry, the schedule as its spec, matchers as
 * globs or RegExp sources. Values are not validated here (the optimizer does that).
 * @throws LmoError when something cannot be saved: a function `match`, a plain-function schedule,
 *   an unregistered norm.
 */
export function optionsToJSON(options: OptimizerOptions): OptionsJSON {
  const groups = options.groups?.map((g, i): GroupJSON => {
    const where = `groups[${i}]`;
    const match = g.match === undefined ? undefined : (Array.isArray(g.match) ? (g.match as readonly Matcher[]) : [g.match as Matcher]).map((m) => matcherToJSON(m, where));
    return {
      ...(g.name !== undefined ? { name: g.name } : {}),
      ...(match !== undefined ? { match } : {}),
      norm: normToJSON(g.norm),
      ...Object.fromEntries(NUMBERS.flatMap((k) => (g[k] !== undefined ? [[k, g[k]]] : []))),
      ...(g.unconstrained !== undefined ? { unconstrained: g.unconstrained } : {}),
    };
  });
  return {
    lr: options.lr,
    ...(options.momentum !== undefined ? { momentum: options.momentum } : {}),
    ...(options.scale !== undefined ? { scale: options.scale } : {}),
    ...(options.unconstrained !== undefined ? { unconstrained: options.unconstrained } : {}),
    ...(options.light !== undefined ? { light: options.light } : {}),
    ...(options.nonFinite !== undefined ? { nonFinite: options.nonFinite } : {}),
    ...(options.schedule !== undefined ? { schedule: scheduleToJSON(options.schedule) } : {}),
    ...(options.norm !== undefined ? { norm: normToJSON(options.norm) } : {}),
    ...(groups !== undefined ? { groups } : {}),
  };
}

/** Rebuilds options from {@link optionsToJSON}'s data (validated when an optimizer is built from them). */
export function optionsFromJSON(json: OptionsJSON): OptimizerOptions {
  if (json === null || typeof json !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', `optimizer options must be an object, got ${String(json)}`);
  const groups = json.groups?.map((g, i): GroupSpec => {
    const where = `groups[${i}]`;
    if (g === null || typeof g !== 'object') throw new LmoError('GROUP_ROUTING', `${where} must be an object`);
    const match = g.match === undefined ? undefined : (Array.isArray(g.match) ? g.match : [g.match]).map((m: unknown) => matcherFromJSON(m, where));
    return {
      ...(g.name !== undefined ? { name: g.name } : {}),
      ...(match !== undefined ? { match } : {}),
      norm: normFromJSON(g.norm),
      ...Object.fromEntries(NUMBERS.flatMap((k) => (g[k] !== undefined ? [[k, g[k]]] : []))),
      ...(g.unconstrained !== undefined ? { unconstrained: g.unconstrained } : {}),
    };
  });
  return {
    lr: json.lr,
    ...(json.momentum !== undefined ? { momentum: json.momentum } : {}),
    ...(json.scale !== undefined ? { scale: json.scale } : {}),
    ...(json.unconstrained !== undefined ? { unconstrained: json.unconstrained } : {}),
    ...(json.light !== undefined ? { light: json.light } : {}),
    ...(json.nonFinite !== undefined ? { nonFinite: json.nonFinite } : {}),
    ...(json.schedule !== undefined ? { schedule: scheduleFromJSON(json.schedule) } : {}),
    ...(json.norm !== undefined ? { norm: normFromJSON(json.norm) } : {}),
    ...(groups !== undefined ? { groups } : {}),
  };
}
