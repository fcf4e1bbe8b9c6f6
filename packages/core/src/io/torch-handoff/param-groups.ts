/**
 * Reading a bundle's metadata: scion.py's param groups (parameter names in place of indices), the
 * step and the schedule, each value validated.
 */
import { LmoError } from '../../errors.js';
import type { Norm } from '../../norms/norm.js';
import { checkLr, checkMomentum, checkScale } from '../../optimizer/options.js';
import type { Schedule } from '../../schedules/schedules.js';
import { scheduleFromJSON, type ScheduleSpec } from '../../schedules/spec.js';
import { HANDOFF_VERSION, STATE_KEY, mismatch, type ScionOptimizerName } from './format.js';
import { fromScionNorm, toScionNorm, type ScionNorm } from './scion-norms.js';

/** A param group of a bundle, validated, in lmo's terms. */
export interface BundleGroup {
  readonly name: string;
  readonly params: readonly string[];
  /** The base learning rate γ (`initial_lr`, else `lr`). */
  readonly lr: number;
  readonly momentum: number;
  readonly scale: number;
  readonly unconstrained: boolean;
  readonly norm: Norm;
  /** scion.py's norm with every keyword filled in. */
  readonly scion: ScionNorm;
}

/** The optimizer file's metadata, validated. */
export interface BundleMeta {
  readonly optimizer: ScionOptimizerName;
  readonly step: number;
  readonly schedule: Schedule | undefined;
  readonly scheduleSpec: ScheduleSpec | undefined;
  readonly groups: readonly BundleGroup[];
}

/** The keys a scion.py param group may have (`initial_lr` is LambdaLR's; `name` lmo's label). */
const GROUP_KEYS = ['params', 'lr', 'initial_lr', 'momentum', 'scale', 'unconstrained', 'norm', 'norm_kwargs', 'name'];

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return mismatch(`the optimizer file's ${what} is not JSON (${(e as Error).message})`);
  }
}

function at<V>(where: string, check: (name: string, value: unknown) => void, name: string, value: unknown): V {
  try {
    check(`${where}.${name}`, value);
  } catch (e) {
    if (e instanceof LmoError) throw new LmoError('STATE_MISMATCH', `the optimizer file's ${e.message}`);
    throw e;
  }
  return value as V;
}

function group(raw: unknown, index: number): BundleGroup {
  const where = `param_groups[${index}]`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) mismatch(`the optimizer file's ${where} is not an object`);
  const g = raw as Record<string, unknown>;
  for (const key of Object.keys(g)) {
    if (!GROUP_KEYS.includes(key)) mismatch(`the optimizer file's ${where} has the key "${key}", which scion.py's param groups do not have (a state from another optimizer?)`);
  }
  const params = g['params'];
  if (!Array.isArray(params) || params.some((p) => typeof p !== 'string')) mismatch(`the optimizer file's ${where}.params must be a list of parameter names`);
  const lr = at<number>(where, checkLr, g['initial_lr'] !== undefined ? 'initial_lr' : 'lr', g['initial_lr'] ?? g['lr']);
  if (g['initial_lr'] !== undefined) at(where, checkLr, 'lr', g['lr']);
  const momentum = at<number>(where, checkMomentum, 'momentum', g['momentum']);
  const scale = at<number>(where, checkScale, 'scale', g['scale']);
  const unconstrained = g['unconstrained'];
  if (typeof unconstrained !== 'boolean') mismatch(`the optimizer file's ${where}.unconstrained must be a boolean, got ${JSON.stringify(unconstrained)}`);
  const name = g['name'] ?? `group${index}`;
  if (typeof name !== 'string') mismatch(`the optimizer file's ${where}.name must be a string, got ${JSON.stringify(name)}`);
  let norm: Norm;
  try {
    norm = fromScionNorm(g['norm'], g['norm_kwargs'], `the optimizer file's ${where}`);
  } catch (e) {
    if (e instanceof LmoError) throw new LmoError('STATE_MISMATCH', e.message);
    throw e;
  }
  // Every keyword written out (the reference's defaults filled in); the shape does not matter for scion.py's own norms.
  const scion = toScionNorm(norm, params[0] ?? name, []).scion;
  return { name, params: params as string[], lr, momentum, scale, unconstrained, norm, scion };
}

/**
 * Reads the optimizer file's metadata.
 * @throws LmoError `STATE_MISMATCH` naming the key or group at fault: not a handoff bundle, another
 *   version, a state of another optimizer, a malformed or unknown value, a parameter in two groups;
 *   `INVALID_HYPERPARAMETER` for a schedule lmo cannot rebuild.
 */
export function readMeta(metadata: Readonly<Record<string, string>>): BundleMeta {
  const version = metadata['lmo.handoff'];
  if (version === undefined) mismatch('the optimizer file has no "lmo.handoff" in its metadata: it is not a handoff bundle');
  if (version !== HANDOFF_VERSION) mismatch(`the optimizer file is handoff version ${JSON.stringify(version)}; this library reads version ${HANDOFF_VERSION}`);
  const optimizer = metadata['optimizer'];
  if (optimizer === undefined || !Object.hasOwn(STATE_KEY, optimizer)) {
    mismatch(`the optimizer file holds the state of ${JSON.stringify(optimizer)}; a handoff carries the state of Scion or ScionLight`);
  }
  const stepText = metadata['step'] ?? '';
  const step = /^(?:0|[1-9][0-9]*)$/.test(stepText) ? Number(stepText) : Number.NaN;
  if (!Number.isSafeInteger(step)) mismatch(`the optimizer file's step is ${JSON.stringify(metadata['step'])}, expected an integer ≥ 0`);

  let schedule: Schedule | undefined;
  let scheduleSpec: ScheduleSpec | undefined;
  if (metadata['schedule'] !== undefined) {
    scheduleSpec = json(metadata['schedule'], 'schedule') as ScheduleSpec;
    try {
      schedule = scheduleFromJSON(scheduleSpec);
    } catch (e) {
      if (e instanceof LmoError) throw new LmoError(e.code, `the optimizer file's schedule: ${e.message}`);
      throw e;
    }
  }

  if (metadata['param_groups'] === undefined) mismatch('the optimizer file has no "param_groups" in its metadata');
  const raw = json(metadata['param_groups'], 'param_groups');
  if (!Array.isArray(raw) || raw.length === 0) mismatch("the optimizer file's param_groups must be a non-empty list");
  const groups = raw.map(group);
  const owner = new Map<string, string>();
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.name)) mismatch(`the optimizer file has two param groups named "${g.name}"`);
    names.add(g.name);
    for (const p of g.params) {
      if (owner.has(p)) mismatch(`the optimizer file puts parameter "${p}" in param groups "${owner.get(p)!}" and "${g.name}"`);
      owner.set(p, g.name);
    }
  }
  return { optimizer: optimizer as ScionOptimizerName, step, schedule, scheduleSpec, groups };
}
