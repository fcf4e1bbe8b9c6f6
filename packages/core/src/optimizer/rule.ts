import type { Shape, StorageDtype, TensorBackend } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import type { Random } from '../random.js';
import type { Schedule } from '../schedules/schedules.js';
import { mixSeed } from '../storage/rounding.js';
import { lmoDirections } from '../update/directions.js';
import { accumulate, adamMoments, adamStep, clipDivisor, decay, ema, lmoStep } from '../update/transforms.js';
import { asMatrix, asShape } from '../update/views.js';
import { GroupRouter } from './groups.js';
import { resolveOptions, type Compensation, type NonFinitePolicy, type OptimizerOptions, type ResolvedGroup } from './options.js';
import type { BufferName } from './state.js';

/** Where one parameter was routed, and how its update is computed. */
export interface ParameterPlan {
  readonly name: string;
  readonly shape: Shape;
  /** The group it belongs to. */
  readonly group: ResolvedGroup;
  /** The norm its LMO comes from (the group's, or its view from the parameter's storage); none for AdamW. */
  readonly norm: Norm | undefined;
  /** The buffers it keeps, in order. */
  readonly buffers: readonly BufferName[];
  /** The parameter's storage dtype. */
  readonly dtype: StorageDtype;
}

/** One parameter's inputs to a step. Every tensor has the parameter's shape. */
export interface UpdateItem<T> {
  readonly plan: ParameterPlan;
  readonly param: T;
  /** The gradient; in light mode the persistent gradient buffer `G`. */
  readonly grad: T;
  /** Its buffers by name (`plan.buffers`). */
  readonly buffers: ReadonlyMap<BufferName, T>;
  /** Light mode: a fresh gradient to add into `G` first (`G + g`), in the same step. */
  readonly fresh?: T;
}

/** A value to write into a persistent tensor: `[target, value]`, same shape. */
export type Write<T> = readonly [target: T, value: T];

/** How a parameter may see its group's norm, e.g. through a transposed storage layout. */
export type NormView = (norm: Norm, group: { readonly name: string; readonly index: number }) => Norm;

/**
 * The update of one step as one validated configuration: group routing, hyperparameters, the
 * schedule, the non-finite policy, and the update of each group's kind. Per LMO parameter, with
 * its group's lr γ (× schedule), momentum α and radius ρ:
 *
 * ```
 * d ← (1 − α)·d + α·g              (no buffer when α = 1; light: d is G, after G ← G + g)
 * SCG:  x ← (1 − γ)·x − γρ·lmo(d)  (default: iterates stay in the ρ-ball)
 * uSCG: x ← x − γρ·lmo(d)
 * light: afterwards G ← (1 − α)·G
 * ```
 *
 * and per AdamW parameter nanoGPT's AdamW (see `AdamWSettings`). A parameter stored in 16 bits
 * takes its new value as `compensation` says (see `Compensation`): rounded to nearest, through a
 * Kahan compensation buffer, or stochastically rounded.
 */
export class UpdateRule {
  readonly #groups: readonly ResolvedGroup[];
  readonly #router: GroupRouter;
  readonly #schedule: Schedule | undefined;
  /** ScionLight mode. */
  readonly light: boolean;
  readonly nonFinite: NonFinitePolicy;
  /** The clipping threshold of the AdamW groups. */
  readonly clip: number | undefined;
  /** The storage dtype of the buffers the optimizer allocates. */
  readonly bufferDtype: StorageDtype;
  /** How 16-bit parameters take their updates (none: round to nearest). */
  readonly compensation: Compensation | undefined;
  readonly #roundingSeed: number;

  /** Validates `options` (throwing an `LmoError` naming the first bad one). */
  constructor(options: OptimizerOptions, extraKeys: readonly string[] = []) {
    const resolved = resolveOptions(options, extraKeys);
    this.#groups = resolved.groups;
    this.#router = new GroupRouter(resolved.specs, resolved.groups.map((g) => g.name));
    this.#schedule = resolved.schedule;
    this.light = resolved.light;
    this.nonFinite = resolved.nonFinite;
    this.clip = resolved.clip;
    this.bufferDtype = resolved.bufferDtype;
    this.compensation = resolved.compensation;
    this.#roundingSeed = resolved.roundingSeed;
  }

  /** The groups, in the order given. */
  get groups(): readonly ResolvedGroup[] {
    return this.#groups;
  }

  /**
   * Routes one parameter (its name first, then `aliases`), sees its group's norm through `view`
   * and checks that the norm accepts its shape. A 16-bit parameter (`dtype`) with Kahan
   * compensation keeps a `compensation` buffer too.
   */
  plan(name: string, shape: Shape, aliases: readonly string[] = [], view?: NormView, dtype: StorageDtype = 'float32'): ParameterPlan {
    const group = this.#groups[this.#router.route([name, ...aliases], shape)]!;
    const norm = group.norm === undefined ? undefined : view === undefined ? group.norm : view(group.norm, group);
    norm?.check(shape, name);
    const buffers: BufferName[] =
      group.adamw !== undefined ? ['exp_avg', 'exp_avg_sq'] : this.light ? ['gradient'] : group.momentum < 1 ? ['momentum'] : [];
    if (this.compensation === 'kahan' && dtype !== 'float32') buffers.push('compensation');
    return { name, shape: [...shape], group, norm, buffers, dtype };
  }

  /** Throws `GROUP_ROUTING` naming the first group with a `match` that none of `plans` belongs to. */
  requireAllUsed(plans: readonly ParameterPlan[]): void {
    this.#router.requireAllUsed(new Set(plans.map((p) => p.group.index)));
  }

  /** A parameter's initial values: its norm's init times its group's radius ρ (deterministic for `rng`). */
  initialValues(plan: ParameterPlan, rng: Random): Float32Array {
    if (plan.norm === undefined) {
      throw new LmoError('INVALID_HYPERPARAMETER', `init: parameter "${plan.name}" is in AdamW group "${plan.group.name}", which has no norm to draw it from; initialize it yourself`);
    }
    const data = plan.norm.init(plan.shape, rng);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * plan.group.scale;
    return data;
  }

  /** The learning rate γ of `group` at step `step`: base lr × schedule, validated. */
  learningRate(group: ResolvedGroup, step: number): number {
    const factor = this.#schedule ? this.#schedule(step) : 1;
    const lr = group.lr * factor;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new LmoError(
        'INVALID_HYPERPARAMETER',
        `learning rate of group "${group.name}" at step ${step} is ${shown(lr)} (lr ${group.lr} × schedule ${shown(factor)}); expected a finite number ≥ 0`,
      );
    }
    return lr;
  }

  /**
   * The writes of one step at index `step`, computed for every item and returned (nothing is
   * assigned here: apply them last, all together, so that a step that throws writes nothing).
   * With `clip`, the AdamW gradients are clipped by their global norm first. Arithmetic runs on
   * each parameter's 2-D matrix view. The writes come grouped by parameter, in the items' order,
   * so that a compiling backend computes one parameter's whole update before the next one's (and
   * can free its temporaries first).
   */
  update<T>(b: TensorBackend<T>, items: readonly UpdateItem<T>[], step: number): Write<T>[] {
    const lrs = new Map<ResolvedGroup, number>();
    for (const { plan } of items) if (!lrs.has(plan.group)) lrs.set(plan.group, this.learningRate(plan.group, step));
    /** Per item (by index): its writes, in the order made. */
    const writes: Write<T>[][] = items.map(() => []);
    const write = (i: number, target: T, value: T): void => {
      writes[i]!.push([target, asShape(b, value, items[i]!.plan.shape)]);
    };
    // only Kahan compensation keeps a buffer (a 16-bit parameter's); without it there is none to look up
    const compensation = (item: UpdateItem<T>): T | undefined => (this.compensation === 'kahan' ? item.buffers.get('compensation') : undefined);
    // the weights a step sees (with Kahan compensation x + c), and how their new values are stored
    const weights = (item: UpdateItem<T>): T => {
      const x = asMatrix(b, item.param, item.plan.shape);
      const c = compensation(item);
      return c === undefined ? x : b.add(x, asMatrix(b, c, item.plan.shape));
    };
    const writeWeights = (i: number, next: T): void => {
      const item = items[i]!;
      const { dtype, name } = item.plan;
      const c = compensation(item);
      if (this.compensation === 'stochastic' && dtype !== 'float32') {
        write(i, item.param, b.storage!.round(next, dtype, mixSeed(this.#roundingSeed, step, nameHash(name))));
      } else if (c !== undefined) {
        const stored = b.storage!.round(next, dtype);
        write(i, item.param, stored);
        write(i, c, b.sub(next, stored));
      } else {
        write(i, item.param, next);
      }
    };
    const lmo: number[] = [];
    const adam: number[] = [];
    items.forEach((item, i) => {
      if (item.plan.norm !== undefined) lmo.push(i);
      if (item.plan.group.adamw !== undefined) adam.push(i);
    });
    const ds = lmo.map((i) => {
      const item = items[i]!;
      const shape = item.plan.shape;
      const alpha = item.plan.group.momentum;
      const g = asMatrix(b, item.grad, shape);
      if (this.light) {
        const d = item.fresh === undefined ? g : accumulate(b, g, asMatrix(b, item.fresh, shape));
        write(i, item.grad, decay(b, d, alpha));
        return d;
      }
      const buffer = item.buffers.get('momentum');
      if (buffer === undefined) return g;
      const d = ema(b, asMatrix(b, buffer, shape), g, alpha);
      write(i, buffer, d);
      return d;
    });
    const us = lmoDirections(b, lmo.map((i, k) => ({ norm: items[i]!.plan.norm!, shape: items[i]!.plan.shape, d: ds[k]! })));
    lmo.forEach((i, k) => {
      const item = items[i]!;
      const { group } = item.plan;
      writeWeights(i, lmoStep(b, weights(item), us[k]!, lrs.get(group)!, group.scale, !group.unconstrained));
    });
    const grads = adam.map((i) => asMatrix(b, items[i]!.grad, items[i]!.plan.shape));
    if (this.clip !== undefined && adam.length > 0) {
      const divisor = clipDivisor(b, grads.map((g) => b.sumSquares(g)).reduce((sum, s) => b.add(sum, s)), this.clip);
      grads.forEach((g, k) => (grads[k] = b.div(g, divisor)));
    }
    adam.forEach((i, k) => {
      const item = items[i]!;
      const { group, shape } = item.plan;
      const settings = group.adamw!;
      const [m0, v0] = [item.buffers.get('exp_avg')!, item.buffers.get('exp_avg_sq')!];
      const [m, v] = adamMoments(b, asMatrix(b, m0, shape), asMatrix(b, v0, shape), grads[k]!, settings.betas);
      const weightDecay = shape.length >= 2 ? settings.weightDecay : 0;
      const x = adamStep(b, weights(item), m, v, { lr: lrs.get(group)!, t: step + 1, betas: settings.betas, eps: settings.eps, weightDecay });
      write(i, m0, m);
      write(i, v0, v);
      writeWeights(i, x);
    });
    return writes.flat();
  }
}

/** FNV-1a of a parameter's name: its part of a stochastic-rounding seed, whatever the parameter order. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Applies writes (assigns them in order). */
export function applyWrites<T>(b: TensorBackend<T>, writes: readonly Write<T>[]): void {
  for (const [target, value] of writes) b.assign(target, value);
}
