/**
 * The optimizer's configuration as saved with a model: core's options JSON plus the layouts, in a
 * form that survives tf.layers' loading.
 *
 * tf.layers runs a loaded training config through `convertPythonicToTs`, which camel-cases every
 * string value (`dense_1/kernel` would come back as `dense1/kernel`) except a string under a key
 * called `name`. Every string is therefore stored as `{ name: "…" }` and unwrapped on load.
 */
import type { serialization } from '@tensorflow/tfjs-core';
import { LmoError, optionsFromJSON, optionsToJSON, scheduleFromJSON, scheduleToJSON, type OptionsJSON } from '@lmo/core';
import type { Layout } from './layout.js';
import type { ScionOptimizerOptions, TfjsGroupSpec } from './options.js';

type ConfigDict = serialization.ConfigDict;

/** Wraps every string of a JSON value as `{ name: string }`. */
function protect(value: unknown): unknown {
  if (typeof value === 'string') return { name: value };
  if (Array.isArray(value)) return value.map(protect);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, protect(v)]));
  return value;
}

/** The inverse of {@link protect}. */
function unprotect(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unprotect);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'name' && typeof entries[0]![1] === 'string') return entries[0]![1];
    return Object.fromEntries(entries.map(([k, v]) => [k, unprotect(v)]));
  }
  return value;
}

/** Options → a tfjs `ConfigDict` (JSON-safe, survives tf.layers' case conversion). */
export function serializeOptions(options: ScionOptimizerOptions): ConfigDict {
  const { schedule, layout, groups } = options;
  const json = optionsToJSON({
    ...options,
    schedule: undefined,
    ...(groups !== undefined ? { groups } : {}),
  });
  const withExtras = {
    ...json,
    ...(schedule !== undefined ? { schedule: scheduleToJSON(typeof schedule === 'function' ? schedule : scheduleFromJSON(schedule)) } : {}),
    ...(layout !== undefined ? { layout } : {}),
    ...(groups !== undefined ? { groups: json.groups!.map((g, i) => (groups[i]!.layout !== undefined ? { ...g, layout: groups[i]!.layout } : g)) } : {}),
  };
  return protect(withExtras) as ConfigDict;
}

/** A `ConfigDict` from {@link serializeOptions} → options. Unknown keys (e.g. `customObjects`) are ignored. */
export function deserializeOptions(config: ConfigDict): ScionOptimizerOptions {
  const json = unprotect(config) as OptionsJSON & { layout?: Layout };
  if (typeof json.lr !== 'number') throw new LmoError('INVALID_HYPERPARAMETER', 'optimizer config: "lr" must be a number');
  const core = optionsFromJSON(json);
  const layouts = (json.groups as ReadonlyArray<{ layout?: Layout }> | undefined)?.map((g) => g.layout);
  const groups = core.groups?.map((g, i): TfjsGroupSpec => (layouts?.[i] !== undefined ? { ...g, layout: layouts[i] } : g));
  return { ...core, ...(json.layout !== undefined ? { layout: json.layout } : {}), ...(groups !== undefined ? { groups } : {}) };
}
