import type { serialization } from '@tensorflow/tfjs-core';
import {
  LmoError,
  auto,
  biasRMS,
  colNorm,
  frobenius,
  muonNorm,
  rowNorm,
  sign,
  signUnscaled,
  spectral,
  spectralConv,
  transposed,
  type Matcher,
  type Norm,
} from '@lmo/core';
import type { TfjsGroupSpec } from './groups.js';
import type { Layout } from './layout.js';
import type { ScionOptimizerOptions } from './optimizer.js';
import type { ScheduleSpec } from './schedule-spec.js';

type ConfigDict = serialization.ConfigDict;
type ConfigDictValue = serialization.ConfigDictValue;

/*
 * tf.layers runs a loaded training config through `convertPythonicToTs`, which camel-cases every
 * key and every string value (`dense_1/kernel` would come back as `dense1/kernel`) except string
 * values under a key called `name`. User strings (globs, RegExp sources, group names) are
 * therefore stored as `{ name: "…" }`, and our own keys and enum values never contain `_`.
 */

function wrapString(s: string): ConfigDict {
  return { name: s };
}

function unwrapString(v: unknown, what: string): string {
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') return (v as { name: string }).name;
  throw new LmoError('INVALID_HYPERPARAMETER', `optimizer config: ${what} must be {name: string}, got ${JSON.stringify(v)}`);
}

function plainOptions(options: Readonly<Record<string, unknown>>, where: string): ConfigDict {
  const out: ConfigDict = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') {
      throw new LmoError('UNKNOWN_NORM', `${where}: option "${key}" (${String(value)}) cannot be saved`);
    }
    out[key] = value;
  }
  return out;
}

/** The kinds of norm that can be saved and rebuilt (core's built-in norms). */
const SAVABLE_KINDS = new Set(['sign', 'spectral', 'colNorm', 'rowNorm', 'biasRMS', 'spectralConv', 'frobenius', 'auto', 'transposed']);

/** A core norm as config data: `{ kind, options }`. Custom norms cannot be saved. */
export function normToConfig(norm: Norm, where: string): ConfigDict {
  if (!SAVABLE_KINDS.has(norm.kind)) {
    throw new LmoError('UNKNOWN_NORM', `${where}: norm of kind "${String(norm.kind)}" is not one of core's norms and cannot be saved with the model`);
  }
  return { kind: norm.kind, options: plainOptions(norm.options, where) };
}

/** Rebuilds a core norm from {@link normToConfig}'s data. */
export function normFromConfig(config: unknown): Norm {
  const { kind, options = {} } = (config ?? {}) as { kind?: unknown; options?: Record<string, unknown> };
  const o = options as Record<string, never>;
  switch (kind) {
    case 'sign':
      return o['anyShape'] ? signUnscaled() : sign({ normalized: o['normalized'], zeroInit: o['zeroInit'] });
    case 'spectral':
      return spectral({ normalized: o['normalized'], max: o['max'], steps: o['steps'], method: o['method'] });
    case 'colNorm':
      return colNorm({ normalized: o['normalized'], transpose: o['transpose'] });
    case 'rowNorm':
      return rowNorm({ normalized: o['normalized'], transpose: o['transpose'] });
    case 'biasRMS':
      return biasRMS();
    case 'spectralConv':
      return spectralConv({ steps: o['steps'], method: o['method'] });
    case 'frobenius':
      return frobenius();
    case 'auto':
      return o['preset'] === 'muon' ? muonNorm() : auto();
    case 'transposed': {
      const { of, ...inner } = options;
      return transposed(normFromConfig({ kind: of, options: inner }));
    }
    default:
      throw new LmoError('UNKNOWN_NORM', `optimizer config: unknown norm kind "${String(kind)}"`);
  }
}

function matcherToConfig(m: Matcher, where: string): ConfigDict {
  if (typeof m === 'string') return { glob: wrapString(m) };
  if (m instanceof RegExp) return { regexp: wrapString(m.source), flags: m.flags };
  throw new LmoError(
    'GROUP_ROUTING',
    `${where}: a function "match" cannot be saved with the model; use a glob or a RegExp (or save without includeOptimizer)`,
  );
}

function matcherFromConfig(c: unknown): Matcher {
  const m = (c ?? {}) as { glob?: unknown; regexp?: unknown; flags?: unknown };
  if (m.glob !== undefined) return unwrapString(m.glob, 'a glob');
  if (m.regexp !== undefined) return new RegExp(unwrapString(m.regexp, 'a RegExp'), typeof m.flags === 'string' ? m.flags : '');
  throw new LmoError('GROUP_ROUTING', `optimizer config: unknown matcher ${JSON.stringify(c)}`);
}

function groupToConfig(group: TfjsGroupSpec, i: number): ConfigDict {
  const where = `groups[${i}]`;
  const out: ConfigDict = { norm: normToConfig(group.norm, where) };
  if (group.name !== undefined) out['name'] = group.name;
  if (group.match !== undefined) {
    const list = Array.isArray(group.match) ? (group.match as readonly Matcher[]) : [group.match as Matcher];
    out['match'] = list.map((m) => matcherToConfig(m, where));
  }
  for (const key of ['scale', 'lr', 'momentum', 'unconstrained', 'layout'] as const) {
    const v = group[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function groupFromConfig(c: unknown): TfjsGroupSpec {
  const g = (c ?? {}) as Record<string, unknown>;
  const match = Array.isArray(g['match']) ? (g['match'] as unknown[]).map(matcherFromConfig) : undefined;
  return {
    norm: normFromConfig(g['norm']),
    ...(typeof g['name'] === 'string' ? { name: g['name'] } : {}),
    ...(match ? { match } : {}),
    ...(typeof g['scale'] === 'number' ? { scale: g['scale'] } : {}),
    ...(typeof g['lr'] === 'number' ? { lr: g['lr'] } : {}),
    ...(typeof g['momentum'] === 'number' ? { momentum: g['momentum'] } : {}),
    ...(typeof g['unconstrained'] === 'boolean' ? { unconstrained: g['unconstrained'] } : {}),
    ...(typeof g['layout'] === 'string' ? { layout: g['layout'] as Layout } : {}),
  };
}

/**
 * The data that {@link serializeOptions} writes and {@link deserializeOptions} reads: the
 * optimizer's options, with a schedule that can be saved (a {@link ScheduleSpec}, not a function).
 */
export type SerializableOptions = Omit<ScionOptimizerOptions, 'schedule'> & { readonly schedule?: ScheduleSpec };

/** Options → a tfjs `ConfigDict` (JSON-safe, survives tf.layers' snake/camel-case conversion). */
export function serializeOptions(options: SerializableOptions): ConfigDict {
  const out: ConfigDict = { lr: options.lr };
  for (const key of ['momentum', 'scale', 'unconstrained', 'light', 'layout', 'nonFinite'] as const) {
    const v = options[key];
    if (v !== undefined) out[key] = v;
  }
  if (options.schedule !== undefined) out['schedule'] = { ...options.schedule } as ConfigDict;
  if (options.norm !== undefined) out['norm'] = normToConfig(options.norm, 'norm');
  if (options.groups !== undefined) out['groups'] = options.groups.map(groupToConfig) as ConfigDictValue;
  return out;
}

/** A `ConfigDict` from {@link serializeOptions} → options. Unknown keys (e.g. `customObjects`) are ignored. */
export function deserializeOptions(config: ConfigDict): SerializableOptions {
  const c = config as Record<string, unknown>;
  const pick = <K extends string>(key: K, type: 'number' | 'boolean' | 'string'): Record<K, never> | Record<string, never> =>
    typeof c[key] === type ? ({ [key]: c[key] } as Record<K, never>) : {};
  if (typeof c['lr'] !== 'number') throw new LmoError('INVALID_HYPERPARAMETER', 'optimizer config: "lr" must be a number');
  return {
    lr: c['lr'],
    ...pick('momentum', 'number'),
    ...pick('scale', 'number'),
    ...pick('unconstrained', 'boolean'),
    ...pick('light', 'boolean'),
    ...pick('layout', 'string'),
    ...pick('nonFinite', 'string'),
    ...(c['schedule'] && typeof c['schedule'] === 'object' ? { schedule: c['schedule'] as ScheduleSpec } : {}),
    ...(c['norm'] ? { norm: normFromConfig(c['norm']) } : {}),
    ...(Array.isArray(c['groups']) ? { groups: (c['groups'] as unknown[]).map(groupFromConfig) } : {}),
  };
}
