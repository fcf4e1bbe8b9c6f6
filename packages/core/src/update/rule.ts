import type { Shape, TensorBackend } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import { GroupRouter } from '../optimizer/groups.js';
import { resolveOptions, type NonFinitePolicy, type OptimizerOptions, type ResolvedGroup } from '../optimizer/options.js';
import type { Random } from '../random.js';
import type { Schedule } from '../schedules/schedules.js';
import { lmoDirections } from './directions.js';
import { accumulate, decay, ema, lmoStep } from './transforms.js';
import { asMatrix, asShape } from './views.js';

/** Where one parameter was routed, and how its update is computed. */
export interface ParameterPlan {
  readonly name: string;
  readonly shape: Shape;
  /** The group it belongs to. */
  readonly group: ResolvedGroup;
  /** The norm its LMO comes from: the group's, or an adapter's view of it (e.g. a transposed layout). */
  readonly norm: Norm;
}

/** One parameter's inputs to a step. Every tensor has the parameter's shape. */
export interface UpdateItem<T> {
  readonly plan: ParameterPlan;
  readonly param: T;
  /** The gradient; in light mode the persistent gradient buffer `G`. */
  readonly grad: T;
  /** The momentum buffer `d` (absent with α = 1 and in light mode). */
  readonly buffer?: T;
  /** Light mode: a fresh gradient to add into `G` first (`G + g`), in the same step. */
  readonly fresh?: T;
}

/** A value to write into a persistent tensor: `[target, value]`, same shape. */
export type Write<T> = readonly [target: T, value: T];

/**
 * The LMO update rule (Pethick et al. 2025, arXiv 2502.07529) as one validated configuration:
 * group routing, hyperparameters, schedule and non-finite policy. Per parameter, with its group's
 * lr γ (× schedule), momentum α and radius ρ:
 *
 * ```
 * d ← (1 − α)·d + α·g              (no buffer when α = 1; light: d is G, after G ← G + g)
 * SCG:  x ← (1 − γ)·x − γρ·lmo(d)  (default: iterates stay in the ρ-ball)
 * uSCG: x ← x − γρ·lmo(d)
 * light: afterwards G ← (1 − α)·G
 * ```
 *
 * `LmoOptimizer` is this rule plus buffers it owns, a step counter and state; an adapter that
 * must own its buffers (tfjs keeps them as named `tf.Variable`s) uses the rule directly.
 */
export class UpdateRule {
  readonly #groups: readonly ResolvedGroup[];
  readonly #router: GroupRouter;
  readonly #schedule: Schedule | undefined;
  /** ScionLight mode. */
  readonly light: boolean;
  readonly nonFinite: NonFinitePolicy;

  /** Validates `options` (throwing an `LmoError` naming the first bad one). */
  constructor(options: OptimizerOptions) {
    const resolved = resolveOptions(options);
    this.#groups = resolved.groups;
    this.#router = new GroupRouter(resolved.specs, resolved.groups.map((g) => g.name));
    this.#schedule = resolved.schedule;
    this.light = resolved.light;
    this.nonFinite = resolved.nonFinite;
  }

  /** The groups, in the order given. */
  get groups(): readonly ResolvedGroup[] {
    return this.#groups;
  }

  /**
   * Routes one parameter (known by `names`, the first being its name) and checks that its group's
   * norm accepts its shape.
   */
  plan(names: string | readonly string[], shape: Shape): ParameterPlan {
    const name = typeof names === 'string' ? names : names[0]!;
    const group = this.#groups[this.#router.route(names, shape)]!;
    group.norm.check(shape, name);
    return { name, shape: [...shape], group, norm: group.norm };
  }

  /** Routes every parameter, and checks that every group with a `match` got at least one. */
  planAll(params: ReadonlyArray<{ readonly name: string; readonly shape: Shape }>): ParameterPlan[] {
    const plans = params.map((p) => this.plan(p.name, p.shape));
    this.#router.requireAllUsed(new Set(plans.map((p) => p.group.index)));
    return plans;
  }

  /** A parameter's initial values: its norm's init times its group's radius ρ (deterministic for `rng`). */
  initialValues(plan: ParameterPlan, rng: Random): Float32Array {
    const data = plan.norm.init(plan.shape, rng);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! * plan.group.scale;
    return data;
  }

  /** Whether a parameter of this plan keeps a momentum buffer (α < 1, not light). */
  buffered(plan: ParameterPlan): boolean {
    return !this.light && plan.group.momentum < 1;
  }

  /** The learning rate γ of `group` at step `step`: base lr × schedule, validated. */
  learningRate(group: ResolvedGroup, step: number): number {
    const factor = this.#schedule ? this.#schedule(step) : 1;
    const lr = group.lr * factor;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
      throw new LmoError(
        'INVALID_HYPERPARAMETER',
        `learning rate of group "${group.name}" at step ${step} is ${String(lr)} (lr ${group.lr} × schedule ${String(factor)}); expected a finite number ≥ 0`,
      );
    }
    return lr;
  }

  /**
   * The writes of one step at index `step`, computed for every item and returned (nothing is
   * assigned here: apply them last, all together, so that a step that throws writes nothing).
   * Arithmetic runs on each parameter's 2-D matrix view.
   */
  update<T>(b: TensorBackend<T>, items: readonly UpdateItem<T>[], step: number): Write<T>[] {
    const lrs = new Map<ResolvedGroup, number>();
    for (const { plan } of items) if (!lrs.has(plan.group)) lrs.set(plan.group, this.learningRate(plan.group, step));
    const writes: Write<T>[] = [];
    const ds = items.map((item) => {
      const shape = item.plan.shape;
      const alpha = item.plan.group.momentum;
      const g = asMatrix(b, item.grad, shape);
      if (this.light) {
        const d = item.fresh === undefined ? g : accumulate(b, g, asMatrix(b, item.fresh, shape));
        writes.push([item.grad, asShape(b, decay(b, d, alpha), item.plan.shape)]);
        return d;
      }
      if (item.buffer === undefined) return g;
      const d = ema(b, asMatrix(b, item.buffer, shape), g, alpha);
      writes.push([item.buffer, asShape(b, d, item.plan.shape)]);
      return d;
    });
    const us = lmoDirections(b, items.map((item, i) => ({ norm: item.plan.norm, shape: item.plan.shape, d: ds[i]! })));
    items.forEach((item, i) => {
      const { group, shape } = item.plan;
      const x = lmoStep(b, asMatrix(b, item.param, shape), us[i]!, lrs.get(group)!, group.scale, !group.unconstrained);
      writes.push([item.param, asShape(b, x, shape)]);
    });
    return writes;
  }
}

/** Applies writes (assigns them in order). */
export function applyWrites<T>(b: TensorBackend<T>, writes: readonly Write<T>[]): void {
  for (const [target, value] of writes) b.assign(target, value);
}
