import type { Shape, TensorBackend } from '../backend/contract.js';
import { LmoError, shown } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import type { Random } from '../random.js';
import type { Schedule } from '../schedules/schedules.js';
import { lmoDirections } from '../update/directions.js';
import { accumulate, adamMoments, adamStep, clipDivisor, decay, ema, lmoStep } from '../update/transforms.js';
import { asMatrix, asShape } from '../update/views.js';
import { GroupRouter } from './groups.js';
import { resolveOptions, type NonFinitePolicy, type OptimizerOptions, type ResolvedGroup } from './options.js';
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
 * and per AdamW parameter nanoGPT's AdamW (see `AdamWSettings`).
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

  /** Validates `options` (throwing an `LmoError` naming the first bad one). */
  constructor(options: OptimizerOptions, extraKeys: readonly string[] = []) {
    const resolved = resolveOptions(options, extraKeys);
    this.#groups = resolved.groups;
    this.#router = new GroupRouter(resolved.specs, resolved.groups.map((g) => g.name));
    this.#schedule = resolved.schedule;
    this.light = resolved.light;
    this.nonFinite = resolved.nonFinite;
    this.clip = resolved.clip;
  }

  /** The groups, in the order given. */
  get groups(): readonly ResolvedGroup[] {
    return this.#groups;
  }

  /**
   * Routes one parameter (its name first, then `aliases`), sees its group's norm through `view`
   * and checks that the norm accepts its shape.
   */
  plan(name: string, shape: Shape, aliases: readonly string[] = [], view?: NormView): ParameterPlan {
    const group = this.#groups[this.#router.route([name, ...aliases], shape)]!;
    const norm = group.norm === undefined ? undefined : view === undefined ? group.norm : view(group.norm, group);
    norm?.check(shape, name);
    const buffers: BufferName[] =
      group.adamw !== undefined ? ['exp_avg', 'exp_avg_sq'] : this.light ? ['gradient'] : group.momentum < 1 ? ['momentum'] : [];
    return { name, shape: [...shape], group, norm, buffers };
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
   * each parameter's 2-D matrix view.
   */
  update<T>(b: TensorBackend<T>, items: readonly UpdateItem<T>[], step: number): Write<T>[] {
    const lrs = new Map<ResolvedGroup, number>();
    for (const { plan } of items) if (!lrs.has(plan.group)) lrs.set(plan.group, this.learningRate(plan.group, step));
    const writes: Write<T>[] = [];
    const write = (target: T, value: T, shape: Shape): void => {
      writes.push([target, asShape(b, value, shape)]);
    };
    const lmo = items.filter((item) => item.plan.norm !== undefined);
    const ds = lmo.map((item) => {
      const shape = item.plan.shape;
      const alpha = item.plan.group.momentum;
      const g = asMatrix(b, item.grad, shape);
      if (this.light) {
        const d = item.fresh === undefined ? g : accumulate(b, g, asMatrix(b, item.fresh, shape));
        write(item.grad, decay(b, d, alpha), shape);
        return d;
      }
      const buffer = item.buffers.get('momentum');
      if (buffer === undefined) return g;
      const d = ema(b, asMatrix(b, buffer, shape), g, alpha);
      write(buffer, d, shape);
      return d;
    });
    const us = lmoDirections(b, lmo.map((item, i) => ({ norm: item.plan.norm!, shape: item.plan.shape, d: ds[i]! })));
    lmo.forEach((item, i) => {
      const { group, shape } = item.plan;
      write(item.param, lmoStep(b, asMatrix(b, item.param, shape), us[i]!, lrs.get(group)!, group.scale, !group.unconstrained), shape);
    });
    const adam = items.filter((item) => item.plan.group.adamw !== undefined);
    const grads = adam.map((item) => asMatrix(b, item.grad, item.plan.shape));
    if (this.clip !== undefined && adam.length > 0) {
      const divisor = clipDivisor(b, grads.map((g) => b.sumSquares(g)).reduce((sum, s) => b.add(sum, s)), this.clip);
      grads.forEach((g, i) => (grads[i] = b.div(g, divisor)));
    }
    adam.forEach((item, i) => {
      const { group, shape } = item.plan;
      if (group.adamw === undefined) return;
      const [m0, v0] = [item.buffers.get('exp_avg')!, item.buffers.get('exp_avg_sq')!];
      const [m, v] = adamMoments(b, asMatrix(b, m0, shape), asMatrix(b, v0, shape), grads[i]!, group.adamw.betas);
      const weightDecay = shape.length >= 2 ? group.adamw.weightDecay : 0;
      const x = adamStep(b, asMatrix(b, item.param, shape), m, v, { lr: lrs.get(group)!, t: step + 1, betas: group.adamw.betas, eps: group.adamw.eps, weightDecay });
      write(m0, m, shape);
      write(v0, v, shape);
      write(item.param, x, shape);
    });
    return writes;
  }
}

/** Applies writes (assigns them in order). */
export function applyWrites<T>(b: TensorBackend<T>, writes: readonly Write<T>[]): void {
  for (const [target, value] of writes) b.assign(target, value);
}
