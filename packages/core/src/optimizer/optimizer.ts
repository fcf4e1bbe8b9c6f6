import { requireBackend } from '../backend/check.js';
import type { ExecutionMode, MaybePromise, Result, Shape, StorageDtype, TensorBackend } from '../backend/contract.js';
import { andFinally, andThen, inMode } from '../backend/maybe.js';
import { LmoError, shown } from '../errors.js';
import type { Norm } from '../norms/norm.js';
import { Random } from '../random.js';
import { accumulate } from '../update/transforms.js';
import { asMatrix, asShape } from '../update/views.js';
import { afterGuard } from './finite.js';
import { HostAdamW } from './host-adamw.js';
import type { OptimizerOptions } from './options.js';
import { ParameterTable, entriesOf, type AddOptions, type BufferAllocator, type NamedTensors, type Slot } from './parameters.js';
import { UpdateRule, applyWrites, type UpdateItem } from './rule.js';
import { STATE_FORMAT, STATE_VERSION, validateState, type BufferName, type OptimizerState } from './state.js';

/** Options of {@link createOptimizer}: the rule's options, and buffers the caller owns. */
export interface LmoOptimizerOptions<T> extends OptimizerOptions {
  /**
   * Light mode only: persistent gradient buffers `G` (one per parameter, same names and shapes)
   * that your backward pass accumulates into, e.g. a framework's own `.grad` tensors. Without
   * them the optimizer allocates zero buffers of its own ({@link LmoOptimizer.gradients}).
   */
  readonly gradients?: NamedTensors<T>;
  /**
   * Caller-owned state: where every buffer of a parameter lives (see {@link BufferAllocator}), e.g.
   * a framework's named variables that it saves with a model. Default: the optimizer allocates
   * zeros (`zerosLike`) and frees them on `dispose()`.
   */
  readonly buffers?: BufferAllocator<T>;
}

/** One parameter as the optimizer sees it. */
export interface ParameterInfo {
  readonly name: string;
  readonly shape: Shape;
  /** Name of its group. */
  readonly group: string;
  /** The norm whose LMO updates it (as seen from its storage); absent in an AdamW group. */
  readonly norm?: Norm;
  /** The buffers it keeps. */
  readonly buffers: readonly BufferName[];
  /** Its storage dtype (the backend's, see `StorageDtype`). */
  readonly dtype: StorageDtype;
}

/**
 * The optimizer (Pethick et al. 2025, arXiv 2502.07529) over a tensor backend: parameters routed to
 * groups, the buffers they need, a step counter and a versioned state. Per parameter of an LMO
 * group, with its lr γ (× schedule), momentum α and radius ρ:
 *
 * ```
 * d ← (1 − α)·d + α·g              (no buffer when α = 1; ScionLight: d is G)
 * SCG:  x ← (1 − γ)·x − γρ·lmo(d)  (default: iterates stay in the ρ-ball)
 * uSCG: x ← x − γρ·lmo(d)
 * ScionLight: afterwards G ← (1 − α)·G
 * ```
 *
 * and per parameter of an AdamW group nanoGPT's AdamW (see `AdamWSettings`).
 *
 * Parameters may be stored in bfloat16 or float16 where the backend stores them (`storage`): the
 * arithmetic stays float32, each new value rounds into the parameter's storage, and `compensation`
 * keeps small updates from being lost; `bufferDtype` stores the optimizer's own buffers in 16 bits.
 *
 * On a synchronous backend (`mode: 'sync'`) `step`, `init`, `getState` and `loadState` return
 * plain values and throw; on an asynchronous one they return Promises and every error arrives as a
 * rejection. Steps apply in call order: overlapping calls give exactly what awaited calls give.
 * A step is all-or-nothing: one that fails writes nothing.
 *
 * Create it with {@link createOptimizer}, a preset (`scion`, `muon`, …) or `adamw`.
 */
export class LmoOptimizer<T, M extends ExecutionMode = ExecutionMode> {
  readonly #backend: TensorBackend<T, M>;
  readonly #rule: UpdateRule;
  readonly #table: ParameterTable<T>;
  /** AdamW on the backend's host arrays: one WebAssembly pass per step (pure AdamW, no caller-owned buffers). */
  readonly #host: HostAdamW<T> | undefined;
  #step = 0;
  #skipped = 0;
  #disposed = false;

  constructor(backend: TensorBackend<T, M>, params: NamedTensors<T>, options: LmoOptimizerOptions<T>) {
    requireBackend<T>(backend);
    this.#backend = backend;
    this.#rule = new UpdateRule(options, ['gradients', 'buffers']);
    if (options.buffers !== undefined && typeof options.buffers !== 'function') {
      throw new LmoError('INVALID_HYPERPARAMETER', '"buffers" must be a function (name, buffer, param) => tensor');
    }
    this.#table = new ParameterTable(backend, this.#rule, options.buffers);
    if (options.gradients !== undefined && !this.#rule.light) {
      throw new LmoError('INVALID_HYPERPARAMETER', '"gradients" is for ScionLight (light: true), whose gradient buffers they are');
    }
    const names = new Set(entriesOf(params, 'params').map(([name]) => name));
    const given = options.gradients === undefined ? undefined : new Map(entriesOf(options.gradients, 'gradients'));
    for (const name of given?.keys() ?? []) if (!names.has(name)) throw new LmoError('UNKNOWN_PARAMETER', `gradients has an entry for unknown parameter "${name}"`);
    for (const name of given === undefined ? [] : names) {
      if (given!.get(name) == null) throw new LmoError('INVALID_HYPERPARAMETER', `gradients has no entry for parameter "${name}"`);
    }
    const pureAdamW = this.#rule.groups.every((g) => g.adamw !== undefined);
    // the host pass keeps float32 moments and rounds parameters to nearest: no 16-bit buffers, no compensation
    const plain = this.#rule.bufferDtype === 'float32' && this.#rule.compensation === undefined;
    this.#host = backend.host !== undefined && pureAdamW && plain && options.buffers === undefined ? new HostAdamW(backend.host) : undefined;
    this.#add(params, {}, given === undefined ? undefined : (name) => given.get(name)!);
  }

  #add(params: NamedTensors<T>, options: AddOptions, gradient?: (name: string) => T): void {
    // on host arrays AdamW's moments live in the kernel's memory, not in tensors
    this.#table.add(params, options, gradient, this.#host === undefined);
    this.#host?.layout(this.#table.slots.map((s) => s.plan));
  }

  /**
   * Adds parameters after construction, e.g. as a framework first shows them (the tfjs optimizer
   * adds each variable at the first `applyGradients` that names it). They are validated and routed
   * like the constructor's (`options` may give each more names to match and a view of its norm);
   * their buffers start at zero. Everything is checked before anything changes.
   */
  add(params: NamedTensors<T>, options: AddOptions = {}): void {
    this.#alive();
    this.#add(params, options);
  }

  /** Whether a parameter of this name is known. */
  has(name: string): boolean {
    return this.#table.byName.has(name);
  }

  /** The backend's execution mode. */
  get mode(): M {
    return this.#backend.mode;
  }

  /**
   * Steps taken so far (skipped steps not counted). The schedule is evaluated at this index. Set it
   * to resume a schedule where you restore the buffers yourself (`buffers`), e.g. from a
   * framework's own checkpoint; a saved state restores it with {@link loadState}.
   */
  get stepCount(): number {
    return this.#step;
  }

  set stepCount(step: number) {
    if (!Number.isSafeInteger(step) || step < 0) throw new LmoError('INVALID_HYPERPARAMETER', `stepCount must be an integer ≥ 0, got ${shown(step)}`);
    this.#step = step;
  }

  /** Steps skipped by the `nonFinite: 'skip'` policy. */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** The parameters in order, with their group, norm and buffers. */
  get parameters(): readonly ParameterInfo[] {
    return this.#table.slots.map(({ plan }) => ({
      name: plan.name,
      shape: plan.shape,
      group: plan.group.name,
      ...(plan.norm !== undefined ? { norm: plan.norm } : {}),
      buffers: plan.buffers,
      dtype: plan.dtype,
    }));
  }

  /**
   * ScionLight's gradient buffers `G` by parameter name: persistent tensors that a backward pass
   * accumulates into (`G ← G + g`, or {@link LmoOptimizer.accumulate}) before each {@link step}.
   * Empty when the optimizer is not light.
   */
  get gradients(): ReadonlyMap<string, T> {
    if (!this.#rule.light) return new Map();
    return new Map(this.#table.slots.map((s) => [s.plan.name, s.buffers.get('gradient')!]));
  }

  /**
   * Bytes of the buffers this optimizer allocated (momentum, moments, ScionLight gradient buffers it
   * owns, compensation buffers), as stored: 4 per element in float32, 2 in bfloat16 or float16. On
   * host arrays, AdamW's memory: both moments and its staging copies of parameters and gradients.
   */
  get ownedBytes(): number {
    return this.#host !== undefined ? this.#host.bytes : this.#table.ownedBytes;
  }

  /** Bytes of the parameters' own storage (yours, not the optimizer's): 4 per element in float32, 2 in 16 bits. */
  get parameterBytes(): number {
    return this.#table.parameterBytes;
  }

  /** The learning rate γ a parameter's group uses at the next step (base lr × schedule). */
  learningRate(name: string): number {
    const slot = this.#table.byName.get(name);
    if (!slot) throw new LmoError('UNKNOWN_PARAMETER', `no parameter named "${name}"`);
    return this.#rule.learningRate(slot.plan.group, this.#step);
  }

  #alive(): void {
    if (this.#disposed) throw new LmoError('BACKEND', 'this optimizer has been disposed; create a new one (its buffers are gone)');
  }

  /**
   * Takes one step with the gradients: one entry per parameter, same names and shapes; an entry
   * `null` leaves that parameter (and its buffers) unchanged this step.
   *
   * ScionLight: the direction is the gradient buffer `G` ({@link LmoOptimizer.gradients}); call
   * `step()` after your backward pass has accumulated into it, or `step(grads)` to add fresh
   * gradients into `G` within the step. Either way `G ← (1 − α)·G` afterwards.
   *
   * Everything is validated first (names, shapes, tensors; NaN/Inf under the default policy; the
   * scheduled learning rate): a step that fails changes nothing.
   */
  step(grads?: NamedTensors<T | null>): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const light = this.#rule.light;
      if (grads === undefined && !light) throw new LmoError('MISSING_GRADIENT', 'step() needs the gradients: step(grads)');
      if (this.#table.slots.length === 0) throw new LmoError('MISSING_GRADIENT', 'this optimizer has no parameters yet: give them when creating it, or add() them');
      const gradOf = grads === undefined ? undefined : this.#table.lookup(grads, 'grads', 'MISSING_GRADIENT', true);
      const items: UpdateItem<T>[] = [];
      for (const slot of this.#table.slots) {
        const g = gradOf?.(slot) ?? null;
        if (gradOf !== undefined && g === null) continue;
        const { plan, param, buffers } = slot;
        if (!light) items.push({ plan, param, buffers, grad: g! });
        else if (g === null) items.push({ plan, param, buffers, grad: buffers.get('gradient')! });
        else items.push({ plan, param, buffers, grad: buffers.get('gradient')!, fresh: g });
      }
      if (this.#host !== undefined) {
        return andThen(
          this.#host.step(this.#rule, items, {
            step: () => this.#step,
            applied: () => this.#step++,
            skipped: () => this.#skipped++,
          }),
          () => undefined,
        );
      }
      const policy = this.#rule.nonFinite;
      // the gradients the policy checks (none under 'ignore': no guard, every step applies)
      const checked = policy === 'ignore' ? [] : items.map((item) => [item.plan.name, item.fresh ?? item.grad] as const);
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
   * of several before a {@link step}. The non-finite policy applies to `grads`; a `null` entry
   * leaves that buffer unchanged.
   */
  accumulate(grads: NamedTensors<T | null>): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      if (!this.#rule.light) throw new LmoError('INVALID_HYPERPARAMETER', 'accumulate() is for ScionLight (light: true); give the gradients to step() instead');
      const gradOf = this.#table.lookup(grads, 'grads', 'MISSING_GRADIENT', true);
      const b = this.#backend;
      const work = this.#table.slots.flatMap((s) => {
        const g = gradOf(s);
        return g === null ? [] : [{ slot: s, g }];
      });
      const checked = work.map(({ slot, g }) => [slot.plan.name, g] as const);
      const policy = this.#rule.nonFinite;
      const ran = b.run(
        () => {
          const sums = work.map(({ slot: { buffers, plan }, g }) => {
            const G = buffers.get('gradient')!;
            return [G, asShape(b, accumulate(b, asMatrix(b, G, plan.shape), asMatrix(b, g, plan.shape)), plan.shape)] as const;
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
   * Re-initializes parameters with their norm's init times their group's radius ρ (deterministic
   * for a seed), and zeroes their buffers: every parameter, or those named in `names` (in that
   * order). Parameters of AdamW groups have no norm to draw from: initialize them yourself.
   */
  init(seed: number | Random = 0, names?: readonly string[]): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const rng = typeof seed === 'number' ? new Random(seed) : seed;
      const b = this.#backend;
      const slots = names === undefined ? this.#table.slots : names.map((n) => this.#slotNamed(n, 'init'));
      const values = slots.map(({ plan }) => b.fromArray(this.#rule.initialValues(plan, rng), plan.shape));
      const zeros = slots.map((s) => [...s.buffers.values()].map((t) => [t, b.zerosLike(s.param)] as const));
      return andFinally(
        () =>
          andThen(
            b.run(() => {
              slots.forEach((slot, i) => {
                b.assign(slot.param, values[i]!);
                for (const [t, z] of zeros[i]!) b.assign(t, z);
              });
            }) as MaybePromise<boolean>,
            () => undefined,
          ),
        () => {
          for (const t of [...values, ...zeros.flat().map(([, z]) => z)]) b.dispose(t);
        },
      );
    }) as Result<M, void>;
  }

  #slotNamed(name: string, what: string): Slot<T> {
    const slot = this.#table.byName.get(name);
    if (slot === undefined) throw new LmoError('UNKNOWN_PARAMETER', `${what}: no parameter named "${name}"`);
    return slot;
  }

  /**
   * A snapshot of the optimizer state: versioned, JSON-safe but for its Float32Arrays. A buffer
   * stored in 16 bits is saved as its exact float32 values, with its dtype in `dtypes`.
   */
  getState(): Result<M, OptimizerState> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const slots = this.#table.slots;
      const dtypes = slots.map((s) => Object.fromEntries([...this.#table.bufferDtypes(s)].filter(([, dtype]) => dtype !== 'float32')));
      const collect = (arrays: ReadonlyArray<ReadonlyMap<BufferName, Float32Array>>): OptimizerState => ({
        format: STATE_FORMAT,
        version: STATE_VERSION,
        step: this.#step,
        skippedSteps: this.#skipped,
        parameters: slots.map((s, i) => ({
          name: s.plan.name,
          shape: [...s.plan.shape],
          group: s.plan.group.name,
          ...(s.plan.buffers.length > 0 ? { buffers: Object.fromEntries(arrays[i]!) } : {}),
          ...(Object.keys(dtypes[i]!).length > 0 ? { dtypes: dtypes[i]! } : {}),
        })),
      });
      return andThen(this.#host !== undefined ? this.#host.read(slots.map((s) => s.plan)) : this.#table.readBuffers(), collect);
    }) as Result<M, OptimizerState>;
  }

  /**
   * Restores a state from {@link getState}. Everything is validated first (format, version, the
   * same parameter names and shapes, the same buffers, each one's type, length and finiteness, and
   * its dtype: a 16-bit buffer loads into one of its own dtype or into a float32 one, both exactly;
   * loading that would round is refused); on any mismatch it fails with a `STATE_MISMATCH` error
   * naming the parameter, and changes nothing.
   */
  loadState(state: OptimizerState): Result<M, void> {
    return inMode(this.#backend.mode, () => {
      this.#alive();
      const slots = this.#table.slots;
      const valid = validateState(
        state,
        slots.map((s) => ({ name: s.plan.name, shape: s.plan.shape, buffers: s.plan.buffers, dtypes: this.#table.bufferDtypes(s) })),
      );
      const restore = (): void => {
        this.#step = valid.step;
        this.#skipped = valid.skippedSteps;
      };
      if (this.#host !== undefined) return this.#host.write(slots.map((s) => s.plan), valid.buffers, restore);
      return this.#table.writeBuffers(valid.buffers, restore);
    }) as Result<M, void>;
  }

  /**
   * Frees the buffers this optimizer allocated (not those given through `gradients` or `buffers`).
   * The optimizer cannot be used afterwards: every call fails with a `BACKEND` error.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#table.dispose();
    this.#host?.dispose();
    this.#disposed = true;
  }
}

/** Creates an {@link LmoOptimizer} (SCG by default; see the options for uSCG, ScionLight and AdamW groups). */
export function createOptimizer<T, M extends ExecutionMode>(
  backend: TensorBackend<T, M>,
  params: NamedTensors<T>,
  options: LmoOptimizerOptions<T>,
): LmoOptimizer<T, M> {
  return new LmoOptimizer(backend, params, options);
}
