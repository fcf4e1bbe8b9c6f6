import { LmoError } from '../../errors.js';
import { validateState } from '../../optimizer/state.js';
import { scheduleToJSON } from '../../schedules/spec.js';
import { formatShape, sizeOf } from '../../shape.js';
import { UpdateRule, type ParameterPlan } from '../../optimizer/rule.js';
import { encodeSafetensors } from '../safetensors/encode.js';
import type { SafetensorsTensor } from '../safetensors/format.js';
import {
  HANDOFF_VERSION,
  entriesOf,
  firstNonFinite,
  stateTensorName,
  transpose2d,
  type HandoffRun,
  type ScionParamGroup,
  type TorchHandoff,
} from './format.js';
import { formatScionNorm, sameScionNorm, toScionNorm, type MappedNorm } from './scion-norms.js';

function cannot(code: 'INVALID_HYPERPARAMETER' | 'STATE_MISMATCH', why: string): never {
  throw new LmoError(code, `cannot hand the run to PyTorch: ${why}`);
}

/** A parameter's values in PyTorch's layout, as a float32 safetensors tensor. */
function torchTensor(data: Float32Array, shape: readonly number[], mapped: MappedNorm): SafetensorsTensor {
  if (!mapped.transposed) return { dtype: 'F32', shape: [...shape], data };
  return { dtype: 'F32', shape: [shape[1]!, shape[0]!], data: transpose2d(data, shape[0]!, shape[1]!) };
}

/**
 * Writes a run as a handoff bundle for PyTorch and the reference `scion.py`: the weights under
 * their own names in PyTorch's layout, and the optimizer state in scion.py's (see
 * {@link TorchHandoff} and the guide "From lmo to PyTorch and back"). With `ρ`, `α`, `γ` of each
 * group, the bundle continues the same update in `Scion` / `ScionLight`:
 *
 * ```
 * d ← (1 − α)·d + α·g;  SCG: x ← (1 − γ)·x − γρ·lmo(d);  uSCG: x ← x − γρ·lmo(d)
 * ```
 *
 * A parameter whose norm is `transposed(n)` (stored `[d_in, d_out]`, e.g. a Keras kernel) is
 * written transposed, with its buffer, under scion.py's `n`.
 *
 * Everything is validated first; nothing is written for a run the reference cannot continue.
 * @throws LmoError `UNKNOWN_NORM` for a norm or norm option scion.py has no counterpart for
 * (Polar Express, `frobenius`, `signUnscaled` on a non-matrix, …) and for a group whose parameters
 * would need different scion.py norms; `INVALID_HYPERPARAMETER` for a schedule that is a plain
 * function and for `nonFinite: 'skip'` (scion.py steps on every gradient); `STATE_MISMATCH` when
 * the state or the weights do not fit the options (names, shapes, buffers, non-finite values).
 */
export function encodeTorchHandoff(run: HandoffRun): TorchHandoff {
  if (run === null || typeof run !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', 'encodeTorchHandoff expects { weights, options, state }');
  const { weights, options, state } = run;
  const rule = new UpdateRule(options);
  if (rule.nonFinite === 'skip') {
    cannot('INVALID_HYPERPARAMETER', 'nonFinite "skip" has no counterpart in scion.py, which steps on every gradient (use "throw" or "ignore")');
  }
  let schedule: string | undefined;
  if (options.schedule !== undefined) {
    try {
      schedule = JSON.stringify(scheduleToJSON(options.schedule));
    } catch (e) {
      if (e instanceof LmoError) cannot('INVALID_HYPERPARAMETER', `the schedule cannot be expressed: ${e.message}`);
      throw e;
    }
  }

  if (state === null || typeof state !== 'object' || !Array.isArray(state.parameters)) cannot('STATE_MISMATCH', 'state must be the object getState() returns');
  state.parameters.forEach((p: unknown, i) => {
    const { name, shape } = (p ?? {}) as { name?: unknown; shape?: unknown };
    if (typeof name !== 'string' || !Array.isArray(shape)) cannot('STATE_MISMATCH', `state.parameters[${i}] must have a name and a shape`);
  });
  const plans = state.parameters.map((p) => rule.plan(p.name, p.shape));
  rule.requireAllUsed(plans);
  for (const plan of plans) {
    if (plan.norm === undefined) {
      throw new LmoError('UNKNOWN_NORM', `cannot hand parameter "${plan.name}" to scion.py: its group "${plan.group.name}" is an AdamW group, which scion.py has no counterpart for`);
    }
  }
  let valid;
  try {
    valid = validateState(state, plans.map((p) => ({ name: p.name, shape: p.shape, buffers: p.buffers })));
  } catch (e) {
    if (e instanceof LmoError) cannot('STATE_MISMATCH', e.message.replace(/^cannot load optimizer state: |; nothing was changed$/g, ''));
    throw e;
  }

  const given = new Map(entriesOf(weights, 'weights'));
  for (const name of given.keys()) if (!plans.some((p) => p.name === name)) cannot('STATE_MISMATCH', `weights has "${name}", which is not a parameter of the optimizer state`);
  const values = plans.map((plan) => {
    const w = given.get(plan.name);
    if (w === undefined) cannot('STATE_MISMATCH', `weights has no entry for parameter "${plan.name}"`);
    if (!(w instanceof Float32Array) || w.length !== sizeOf(plan.shape)) {
      cannot('STATE_MISMATCH', `weights["${plan.name}"] must be a Float32Array of ${sizeOf(plan.shape)} values (shape ${formatShape(plan.shape)}), got ${w instanceof Float32Array ? `${w.length}` : Object.prototype.toString.call(w)}`);
    }
    const bad = firstNonFinite(w);
    if (bad >= 0) cannot('STATE_MISMATCH', `weights["${plan.name}"] holds ${w[bad]} at index ${bad}`);
    return w;
  });

  const optimizer = rule.light ? 'ScionLight' : 'Scion';
  const mapped = plans.map((plan) => toScionNorm(plan.norm!, plan.name, plan.shape));
  const model = new Map<string, SafetensorsTensor>();
  const buffers = new Map<string, SafetensorsTensor>();
  plans.forEach((plan, i) => {
    model.set(plan.name, torchTensor(values[i]!, plan.shape, mapped[i]!));
    const buffer = valid.buffers[i]!.get(rule.light ? 'gradient' : 'momentum');
    if (buffer !== undefined) buffers.set(stateTensorName(plan.name, optimizer), torchTensor(buffer, plan.shape, mapped[i]!));
  });

  const metadata: Record<string, string> = {
    format: 'pt',
    'lmo.handoff': HANDOFF_VERSION,
    optimizer,
    param_groups: JSON.stringify(paramGroups(rule, plans, mapped, valid.step)),
    step: String(valid.step),
    ...(schedule !== undefined ? { schedule } : {}),
  };
  return { model: encodeSafetensors(model, { format: 'pt' }), optimizer: encodeSafetensors(buffers, metadata) };
}

/** scion.py's param groups, one per lmo group that holds parameters, in the options' order. */
function paramGroups(rule: UpdateRule, plans: readonly ParameterPlan[], mapped: readonly MappedNorm[], step: number): ScionParamGroup[] {
  return rule.groups.flatMap((group) => {
    const members = plans.flatMap((plan, i) => (plan.group === group ? [i] : []));
    if (members.length === 0) return [];
    const first = mapped[members[0]!]!.scion;
    for (const i of members) {
      const other = mapped[i]!.scion;
      if (!sameScionNorm(first, other)) {
        throw new LmoError(
          'UNKNOWN_NORM',
          `cannot hand parameter "${plans[i]!.name}" to scion.py: its group "${group.name}" would need ${formatScionNorm(first)} for "${plans[members[0]!]!.name}" and ${formatScionNorm(other)} for it, and a scion.py param group has one norm (split the group)`,
        );
      }
    }
    return [
      {
        params: members.map((i) => plans[i]!.name),
        lr: rule.learningRate(group, step),
        initial_lr: group.lr,
        momentum: group.momentum,
        scale: group.scale,
        unconstrained: group.unconstrained,
        norm: first.norm,
        norm_kwargs: first.norm_kwargs,
        name: group.name,
      },
    ];
  });
}
