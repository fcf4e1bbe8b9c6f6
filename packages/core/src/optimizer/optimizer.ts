import type { ExecutionMode, Result, Shape, TensorBackend } from '../backend/contract.js';
import { andFinally, andThen, inMode } from '../backend/maybe.js';
import type { MaybePromise } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import { Random } from '../random.js';
import { formatShape, sameShape, sizeOf } from '../shape.js';
import { afterGuard } from '../update/finite.js';
import { UpdateRule, applyWrites, type ParameterPlan, type UpdateItem } from '../update/rule.js';
import { accumulate } from '../update/transforms.js';
import { asMatrix, asShape } from '../update/views.js';
import type { OptimizerOptions } from './options.js';
import { STATE_FORMAT, STATE_VERSION, validateState, type OptimizerState } from './state.js';

/** Parameters or gradients by name: a plain object or a Map. Insertion order is the parameter order. */
export type NamedTensors<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;

/** Options of {@link createOptimizer}: the rule's options, plus caller-owned gradient buffers for ScionLight. */
export interface LmoOptimizerOptions<T> extends OptimizerOptions {
  /**
   * Light mode only: persistent gradient buffers `G` (one per parameter, same names and shapes)
   * that your backward pass accumulates into, e.g. a framework's own `.grad` tensors. Without
   * them the optimizer allocates zero buffers of its own ({@link LmoOptimizer.gradients}).
   */
  readonly gradients?: NamedTensors<T>;
}

/** One parameter as the optimizer sees it. */
export interface ParameterInfo {
  readonly name: string;
  readonly shape: Shape;
  /** Name of its group. */
  readonly group: string;
  readonly norm: Norm;
}

interface Slot<T> {
  readonly plan: ParameterPlan;
  readonly param: T;
  /** The momentum buffer `d`, or in light mode the gradient buffer `G`. */
  buffer: T | undefined;
}

function entriesOf<T>(tensors: NamedTensors<T>, what: string): Array<[string, T]> {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (tensors === null || typeof tensors !== 'object') {
    throw new LmoError('INVALID_HYPERPARAMETER', `${what} must be an object or a Map of tensors by name, got ${String(tensors)}`);
  }
  return Object.entries(tensors as Record<string, T>);
}

/**
 * The unified LMO optimizer (Pethick et al. 2025, arXiv 2502.07529) over a tensor backend: an
 * {@link UpdateRule} with the buffers it needs, a step counter and a versioned state. Per
 * parameter, with its group's lr γ (× schedule), momentum α and radius ρ:
 *
 * ```
 * d ← (1 − α)·d + α·g              (no buffer when α = 1; ScionLight: d is G)
 * SCG:  x ← (1 − γ)·x − γρ·lmo(d)  (default: iterates stay in the ρ-ball)
 * uSCG: x ← x − γρ·lmo(d)
 * ScionLight: afterwards G ← (1 − α)·G
 * ```
 *
 * On a synchronous backend (`mode: 'sync'`) `step`, `init`, `getState` and `loadState` return
 * plain values and throw; on an asynchronous one they return Promises and every error arrives as a
 * rejection. Steps apply in call order: overlapping calls give exactly what awaited calls give.
 * A step is all-or-nothing: one that fails writes nothing.
 *
 * Create it with {@link createOptimizer} or a preset (`scion`, `muon`, …).
 */
export class LmoOptimizer<T, M extends ExecutionMode = ExecutionMode> {
  readonly #backend: TensorBackend<T, M>;
  readonly #rule: UpdateRule;
  readonly #slots: Slot<T>[];
  readonly #byName: Map<string, Slot<T>>;
  /** Buffers this optimizer allocated (and frees). */
  readonly #owned = new Set<T>();
  #step = 0;
  #skipped = 0;
  #disposed = false;

  constructor(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: LmoOptimizerOptions<T>) {
    if (backend === null || typeof backend !== 'object' || typeof backend.isTensor !== 'function') {
      throw new LmoError('BACKEND', `backend must be a TensorBackend (e.g. referenceBackend from @lmo/core/reference), got ${String(backend)}`);
    }
    this.#backend = backend;
    this.#rule = new UpdateRule(options);
    const entries = entriesOf(params, 'params');
    if (entries.length === 0) throw new LmoError('INVALID_HYPERPARAMETER', 'params is empty: give at least one parameter');
    for (const [name, p] of entries) this.#requireTensor(p, `params["${name}"]`);
    const plans = this.#rule.planAll(entries.map(([name, p]) => ({ name, shape: backend.shape(p) })));
    this.#slots = plans.map((plan, i) => ({ plan, param: entries[i]![1], buffer: undefined }));
    this.#byName = new Map(this.#slots.map((s) => [s.plan.name, s]));
    if (options.gradients !== undefined && !this.#rule.light) {
      throw new LmoError('INVALID_HYPERPARAMETER', '"gradients" is for ScionLight (light: true), whose gradient buffers they are');
    }
    const given = options.gradients === undefined ? undefined : this.#lookup(options.gradients, 'gradients');
    for (const slot of this.#slots) {
      if (given !== undefined) slot.buffer = given(slot);
      else if (this.#rule.light || this.#rule.buffered(slot.plan)) slot.buffer = this.#own(backend.zerosLike(slot.param));
    }
  }

  #own(x: T): T {
    this.#owned.add(x);
    return x;
  }

  #requireTensor(x: unknown, what: string): asserts x is T {
    if (!this.#backend.isTensor(x)) {
      const kind = x === null ? 'null' : x === undefined ? 'undefined' : (x as object).constructor?.name ?? typeof x;
      throw new LmoError('BACKEND', `${what} is not a tensor of the ${this.#backend.name} backend (got ${kind}); create tensors with that backend, and do not use them after dispose()`);
    }
  }

  /** A lookup of `tensors` by slot that checks names (no unknown ones, none missing), tensors and shapes. */
  #lookup(tensors: NamedTensors<T>, what: string, code: 'MISSING_GRADIENT' | 'INVALID_HYPERPARAMETER' = 'INVALID_HYPERPARAMETER'): (slot: Slot<T>) => T {
    const entries = entriesOf(tensors, what);
    const byName = new Map(entries);
    for (const [name] of entries) {
      if (!this.#byName.has(name)) throw new LmoError('UNKNOWN_PARAMETER', `${what} has an entry for unknown parameter "${name}"`);
    }
    for (const slot of this.#slots) {
      const name = slot.plan.name;
      const t = byName.get(name);
      if (t === undefined || t === null) throw new LmoError(code, `${what} has no entry for parameter "${name}"`);
      this.#requireTensor(t, `${what}["${name}"]`);
      const shape = this.#backend.shape(t);
      if (!sameShape(shape, slot.plan.shape)) {
        throw new LmoError('SHAPE_MISMATCH', `${what}["${name}"] has shape ${formatShape(shape)}, expected ${formatShape(slot.plan.shape)}`);
      }
    }
    return (slot) => byName.get(slot.plan.name)!;
  }

  /** The backend's execution mode. */
  get mode(): M {
    return this.#backend.mode;
  }

  /** Steps taken so far (skipped steps not counted). The schedule is evaluated at this index. */
  get stepCount(): number {
    return this.#step;
  }

  /** Steps skipped by the `nonFinite: 'skip'` policy. */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** The parameters in order, with their group and norm. */
  get parameters(): readonly ParameterInfo[] {
    return this.#slots.map(({ plan }) => ({ name: plan.name, shape: plan.shape, group: plan.group.name, norm: plan.norm }));
  }

  /**
   * ScionLight's gradient buffers `G` by parameter name: persistent tensors that a backward pass
   * accumulates into (`G ← G + g`, or {@link LmoOptimizer.accumulate}) before each {@link step}.
   * Empty when the optimizer is not light.
   */
  get gradients(): ReadonlyMap<string, T> {
    if (!this.#rule.light) return new Map();
    return new Map(this.#slots.map((s) => [s.plan.name, s.buffer!]));
  }

  /** Bytes of the buffers this optimizer allocated (momentum, or ScionLight gradient buffers it owns). */
  get ownedBytes(): number {
    return this.#slots.reduce((sum, s) => sum + (s.buffer !== undefined && this.#owned.has(s.buffer) ? 4 * sizeOf(s.plan.shape) : 0), 0);
  }

  /** The learning rate γ a parameter's group uses at the next step (base lr × schedule). */
  learningRate(name: string): number {
    const slot = this.#byName.get(name);
    if (!slot) throw new LmoError('UNKNOWN_PARAMETER', `no parameter named "${name}"`);
    return this.#rule.learningRate(slot.plan.group, this.#step);
  }

  #alive(): void {
    if (this.#disposed) throw new LmoError('BACKEND', 'this optimizer has been disposed');
  }

  /**
   * Takes one step with the gradients (one per parameter, same names and shapes).
   *
   * ScionLight: the direction is the gradient buffer `G` ({@link LmoOptimizer.gradients}); call
   * `step()` after your backward pass has accumulated into it, or `step(grads)` to add fresh
   * gradients into `G` within the step. Either way `G ← (1 − α)·G` afterwards.
   *
   * Everything is validated first (names, shapes, tensors; NaN/Inf under the default policy; the
   * scheduled learning rate): a step that fails changes nothing.
   */
  step(grads?: NamedTensors<T>): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const light = this.#rule.light;
      if (grads === undefined && !light) throw new LmoError('MISSING_GRADIENT', 'step() needs the gradients: step(grads)');
      const gradOf = grads === undefined ? undefined : this.#lookup(grads, 'grads', 'MISSING_GRADIENT');
      const items: UpdateItem<T>[] = this.#slots.map((slot) => {
        const g = gradOf?.(slot);
        if (light) return { plan: slot.plan, param: slot.param, grad: slot.buffer!, ...(g !== undefined ? { fresh: g } : {}) };
        return { plan: slot.plan, param: slot.param, grad: g!, ...(slot.buffer !== undefined ? { buffer: slot.buffer } : {}) };
      });
      const checked = items.map((item) => [item.plan.name, light ? item.fresh ?? item.grad : item.grad] as const);
      const policy = this.#rule.nonFinite;
      const b = this.#backend;
      const ran = b.run(() => applyWrites(b, this.#rule.update(b, items, this.#step)), {
        ...(policy === 'ignore' ? {} : { guard: checked.map(([, g]) => g) }),
        onCommit: () => {
          this.#step++;
        },
      }) as MaybePromise<boolean>;
      return andThen(ran, (applied) =>
        andThen(afterGuard(b, applied, policy, checked), (outcome) => {
          if (outcome === 'skipped') this.#skipped++;
        }),
      );
    }) as Result<M, void>;
  }

  /**
   * ScionLight: adds fresh gradients into the gradient buffers (`G ← G + g`), e.g. one micro-batch
   * of several before a {@link step}. The non-finite policy applies to `grads`.
   */
  accumulate(grads: NamedTensors<T>): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      if (!this.#rule.light) throw new LmoError('INVALID_HYPERPARAMETER', 'accumulate() is for ScionLight (light: true); give the gradients to step() instead');
      const gradOf = this.#lookup(grads, 'grads', 'MISSING_GRADIENT');
      const b = this.#backend;
      const checked = this.#slots.map((s) => [s.plan.name, gradOf(s)] as const);
      const policy = this.#rule.nonFinite;
      const ran = b.run(
        () => {
          const sums = this.#slots.map(({ buffer, plan }, i) => {
            const sum = accumulate(b, asMatrix(b, buffer!, plan.shape), asMatrix(b, checked[i]![1], plan.shape));
            return [buffer!, asShape(b, sum, plan.shape)] as const;
          });
          applyWrites(b, sums);
        },
        policy === 'ignore' ? {} : { guard: checked.map(([, g]) => g) },
      ) as MaybePromise<boolean>;
      return andThen(ran, (applied) =>
        andThen(afterGuard(b, applied, policy, checked), (outcome) => {
          if (outcome === 'skipped') this.#skipped++;
        }),
      );
    }) as Result<M, void>;
  }

  /**
   * Re-initializes every parameter with its norm's init times its group's radius ρ
   * (deterministic for a seed), and zeroes the buffers.
   */
  init(seed: number | Random = 0): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const rng = typeof seed === 'number' ? new Random(seed) : seed;
      const b = this.#backend;
      const values = this.#slots.map(({ plan }) => b.fromArray(this.#rule.initialValues(plan, rng), plan.shape));
      const zeros = this.#slots.map((s) => (s.buffer === undefined ? undefined : b.zerosLike(s.param)));
      return andFinally(
        () =>
          andThen(
            b.run(() => {
              this.#slots.forEach((slot, i) => {
                b.assign(slot.param, values[i]!);
                if (slot.buffer !== undefined) b.assign(slot.buffer, zeros[i]!);
              });
            }) as MaybePromise<boolean>,
            () => undefined,
          ),
        () => {
          for (const t of [...values, ...zeros]) if (t !== undefined) b.dispose(t);
        },
      );
    }) as Result<M, void>;
  }

  /** A snapshot of the optimizer state: versioned, JSON-safe but for its Float32Arrays. */
  getState(): Result<M, OptimizerState> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const reads = this.#slots.map((s) => (s.buffer === undefined ? undefined : (this.#backend.read(s.buffer) as MaybePromise<Float32Array>)));
      const collect = (arrays: ReadonlyArray<Float32Array | undefined>): OptimizerState => ({
        format: STATE_FORMAT,
        version: STATE_VERSION,
        step: this.#step,
        skippedSteps: this.#skipped,
        light: this.#rule.light,
        parameters: this.#slots.map((s, i) => ({
          name: s.plan.name,
          shape: [...s.plan.shape],
          group: s.plan.group.name,
          ...(arrays[i] ? { momentum: arrays[i] } : {}),
        })),
      });
      if (reads.some((r) => r instanceof Promise)) return Promise.all(reads).then(collect);
      return collect(reads as Array<Float32Array | undefined>);
    }) as Result<M, OptimizerState>;
  }

  /**
   * Restores a state from {@link getState}. Everything is validated first (format, version, the
   * same parameter names and shapes, each buffer's type, length and finiteness); on any mismatch it
   * fails with a `STATE_MISMATCH` error naming the parameter, and changes nothing.
   */
  loadState(state: OptimizerState): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const valid = validateState(state, {
        light: this.#rule.light,
        parameters: this.#slots.map((s) => ({ name: s.plan.name, shape: s.plan.shape, buffered: s.buffer !== undefined })),
      });
      const b = this.#backend;
      const temps = valid.buffers.map((m, i) => (m === undefined ? undefined : b.fromArray(m, this.#slots[i]!.plan.shape)));
      return andFinally(
        () =>
          andThen(
            b.run(
              () => {
                this.#slots.forEach((slot, i) => {
                  if (slot.buffer !== undefined) b.assign(slot.buffer, temps[i]!);
                });
              },
              {
                onCommit: () => {
                  this.#step = valid.step;
                  this.#skipped = valid.skippedSteps;
                },
              },
            ) as MaybePromise<boolean>,
            () => undefined,
          ),
        () => {
          for (const t of temps) if (t !== undefined) b.dispose(t);
        },
      );
    }) as Result<M, void>;
  }

  /** Frees the buffers this optimizer allocated. The optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    for (const t of this.#owned) this.#backend.dispose(t);
    this.#owned.clear();
    for (const slot of this.#slots) slot.buffer = undefined;
    this.#disposed = true;
  }
}

/** Creates an {@link LmoOptimizer} (SCG by default; see the options for uSCG and ScionLight). */
export function createOptimizer<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: LmoOptimizerOptions<T>,
): LmoOptimizer<T, M> {
  return new LmoOptimizer(backend, params, options);
}
