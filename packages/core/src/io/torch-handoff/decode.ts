import { LmoError, shown } from '../../errors.js';
import type { GroupSpec, Matcher } from '../../optimizer/groups.js';
import type { OptimizerOptions } from '../../optimizer/options.js';
import { STATE_FORMAT, STATE_VERSION, type OptimizerState, type ParameterState } from '../../optimizer/state.js';
import { scheduleToJSON } from '../../schedules/spec.js';
import { formatShape, sameShape } from '../../shape.js';
import { UpdateRule } from '../../optimizer/rule.js';
import { decodeSafetensors } from '../safetensors/decode.js';
import { asFloat32 } from '../safetensors/as-float32.js';
import type { SafetensorsFile, SafetensorsTensor } from '../safetensors/format.js';
import { STATE_KEY, firstNonFinite, mismatch, transpose2d, type DecodedHandoff, type TorchHandoff } from './format.js';
import { readMeta, type BundleGroup, type BundleMeta } from './param-groups.js';
import { formatScionNorm, sameScionNorm, toScionNorm } from './scion-norms.js';

const FLOATS = ['F32', 'F16', 'BF16', 'F64'];

function read(bytes: unknown, which: string): SafetensorsFile {
  try {
    return decodeSafetensors(bytes as Uint8Array);
  } catch (e) {
    if (e instanceof LmoError) throw new LmoError(e.code, `the ${which} file: ${e.message}`);
    throw e;
  }
}

/** A float tensor's values as float32, checked: its dtype, its shape, finite values. */
function values(t: SafetensorsTensor, what: string, shape: readonly number[] | undefined): Float32Array {
  if (!FLOATS.includes(t.dtype)) mismatch(`${what} has dtype ${t.dtype}; expected a float (${FLOATS.join(', ')})`);
  if (shape !== undefined && !sameShape(t.shape, shape)) mismatch(`${what} has shape ${formatShape(t.shape)}; its parameter has ${formatShape(shape)}`);
  const data = asFloat32(t);
  const bad = firstNonFinite(data);
  if (bad >= 0) mismatch(`${what} holds ${data[bad]} at index ${bad}`);
  return data;
}

/** One parameter as the bundle holds it. */
interface Entry {
  readonly name: string;
  readonly group: BundleGroup;
  /** PyTorch's shape. */
  readonly shape: readonly number[];
  readonly weight: Float32Array;
  readonly buffer: Float32Array | undefined;
}

/** Every tensor of both files, checked against the param groups (nothing missing, nothing extra). */
function entries(model: SafetensorsFile, optimizer: SafetensorsFile, meta: BundleMeta): Entry[] {
  const groupOf = new Map(meta.groups.flatMap((g) => g.params.map((p) => [p, g] as const)));
  for (const name of model.tensors.keys()) {
    if (!groupOf.has(name)) mismatch(`the model file has tensor "${name}", which no param group of the optimizer file holds`);
  }
  const key = STATE_KEY[meta.optimizer];
  const light = meta.optimizer === 'ScionLight';
  for (const name of optimizer.tensors.keys()) {
    const m = /^state\.(.*)\.([^.]+)$/s.exec(name);
    if (m === null) mismatch(`the optimizer file has tensor "${name}", which is not a per-parameter state "state.<name>.${key}"`);
    const [, param, field] = m as unknown as [string, string, string];
    if (field !== key) mismatch(`the optimizer file has tensor "${name}": ${meta.optimizer} keeps "${key}", not "${field}" (a state from another optimizer?)`);
    const group = groupOf.get(param);
    if (group === undefined) mismatch(`the optimizer file has tensor "${name}" for "${param}", which no param group holds`);
    if (!light && group.momentum === 1) mismatch(`the optimizer file has tensor "${name}", but group "${group.name}" has momentum 1 and keeps no buffer`);
  }
  return [...groupOf].map(([name, group]) => {
    const t = model.tensors.get(name);
    if (t === undefined) mismatch(`the model file has no tensor "${name}" (a parameter of group "${group.name}")`);
    try {
      group.norm.check(t.shape, name);
    } catch (e) {
      if (e instanceof LmoError) mismatch(`the model file's tensor "${name}" does not fit its group's norm: ${e.message}`);
      throw e;
    }
    const weight = values(t, `the model file's tensor "${name}"`, undefined);
    const stateName = `state.${name}.${key}`;
    const s = optimizer.tensors.get(stateName);
    if (s === undefined && (light || group.momentum < 1)) mismatch(`the optimizer file has no tensor "${stateName}"`);
    const buffer = s === undefined ? undefined : values(s, `the optimizer file's tensor "${stateName}"`, t.shape);
    return { name, group, shape: t.shape, weight, buffer };
  });
}

function sameJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameJSON((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Options rebuilt from the bundle: one group per param group, matching its parameters by name. */
function optionsOf(meta: BundleMeta): OptimizerOptions {
  const exact = (name: string): Matcher => (/[*?]/.test(name) ? new RegExp(`^${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`) : name);
  const groups: GroupSpec[] = meta.groups.map((g) => ({
    name: g.name,
    match: g.params.map(exact),
    norm: g.norm,
    scale: g.scale,
    lr: g.lr,
    momentum: g.momentum,
    unconstrained: g.unconstrained,
  }));
  return { lr: meta.groups[0]!.lr, light: meta.optimizer === 'ScionLight', groups, ...(meta.schedule !== undefined ? { schedule: meta.schedule } : {}) };
}

/** How lmo holds each parameter under `options`: its group's name, and whether it is stored transposed. */
function layoutUnder(options: OptimizerOptions, meta: BundleMeta, list: readonly Entry[]): Array<{ group: string; transposed: boolean }> {
  const rule = new UpdateRule(options);
  if (rule.light !== (meta.optimizer === 'ScionLight')) {
    mismatch(rule.light ? 'the bundle holds a Scion state and these options are ScionLight' : 'the bundle holds a ScionLight state and these options are not light');
  }
  const spec = options.schedule === undefined ? undefined : scheduleToJSON(options.schedule);
  if (!sameJSON(spec, meta.scheduleSpec)) {
    mismatch(`the bundle's schedule ${JSON.stringify(meta.scheduleSpec ?? null)} differs from these options' ${JSON.stringify(spec ?? null)}`);
  }
  const plans = list.map((e) => rule.plan(e.name, e.shape));
  rule.requireAllUsed(plans);
  return plans.map((plan, i) => {
    const e = list[i]!;
    const norm = plan.norm;
    if (norm === undefined) mismatch(`parameter "${e.name}": these options put it in AdamW group "${plan.group.name}", the bundle in Scion's group "${e.group.name}"`);
    const { transposed } = toScionNorm(norm, e.name, e.shape);
    const shape = transposed ? [e.shape[1]!, e.shape[0]!] : e.shape;
    const mine = toScionNorm(norm, e.name, shape).scion;
    const g = e.group;
    const differ = (what: string, bundle: unknown, here: unknown): never =>
      mismatch(`parameter "${e.name}": the bundle's group "${g.name}" has ${what} ${shown(bundle)}, these options' group "${plan.group.name}" ${shown(here)}`);
    if (!sameScionNorm(mine, g.scion)) differ('norm', formatScionNorm(g.scion), formatScionNorm(mine));
    if (plan.group.scale !== g.scale) differ('scale', g.scale, plan.group.scale);
    if (plan.group.lr !== g.lr) differ('lr', g.lr, plan.group.lr);
    if (plan.group.momentum !== g.momentum) differ('momentum', g.momentum, plan.group.momentum);
    if (plan.group.unconstrained !== g.unconstrained) differ('unconstrained', g.unconstrained, plan.group.unconstrained);
    return { group: plan.group.name, transposed };
  });
}

/**
 * Reads a handoff bundle (one that {@link encodeTorchHandoff} or the PyTorch side wrote) into the
 * weights, the optimizer state (for `loadState`) and the options of the run, validating everything
 * before anything is returned: both files' bytes, the metadata (version, optimizer, param groups,
 * step, schedule), every tensor present once with a float dtype, the shape its parameter and norm
 * need and finite values, and no tensor that belongs to nothing.
 *
 * Without `options` the run's options are rebuilt from the bundle (a group per param group,
 * matching its parameters by name), and every tensor keeps PyTorch's layout. With `options` (the
 * run's own), the bundle must hold the same run: the same norm, radius, learning rate, momentum and
 * update for every parameter, the same schedule and light mode; a parameter whose norm is
 * `transposed(n)` gets its weights and buffer transposed back into lmo's layout.
 *
 * @throws LmoError one line naming the file and the tensor or field at fault: `INVALID_SAFETENSORS`
 *   for bytes that are not safetensors (e.g. truncated); `STATE_MISMATCH` for a missing or extra
 *   tensor, a wrong dtype or shape, non-finite values, the state of another optimizer, or a
 *   difference from `options`; `UNKNOWN_NORM`/`UNSUPPORTED_SHAPE`/`GROUP_ROUTING` from `options`.
 */
export function decodeTorchHandoff(bundle: TorchHandoff, options?: OptimizerOptions): DecodedHandoff {
  if (bundle === null || typeof bundle !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', 'decodeTorchHandoff expects { model, optimizer } (the bytes of both files)');
  const model = read(bundle.model, 'model');
  const optimizer = read(bundle.optimizer, 'optimizer');
  const meta = readMeta(optimizer.metadata);
  const list = entries(model, optimizer, meta);
  const layout = options === undefined ? list.map((e) => ({ group: e.group.name, transposed: false })) : layoutUnder(options, meta, list);

  const weights = new Map<string, Float32Array>();
  const parameters: ParameterState[] = list.map((e, i) => {
    const { group, transposed } = layout[i]!;
    const [rows, cols] = [e.shape[0]!, e.shape[1]!];
    const own = (x: Float32Array): Float32Array => (transposed ? transpose2d(x, rows, cols) : x);
    weights.set(e.name, own(e.weight));
    const buffer = meta.optimizer === 'ScionLight' ? 'gradient' : 'momentum';
    return { name: e.name, shape: transposed ? [cols, rows] : [...e.shape], group, ...(e.buffer !== undefined ? { buffers: { [buffer]: own(e.buffer) } } : {}) };
  });
  const state: OptimizerState = { format: STATE_FORMAT, version: STATE_VERSION, step: meta.step, skippedSteps: 0, parameters };
  return { weights, options: options ?? optionsOf(meta), state };
}
