import { andThen, type MaybePromise, type Shape, type TensorBackend } from '../backend.js';
import { LmoError } from '../errors.js';
import { auto } from '../norms/auto.js';
import type { Norm } from '../norms/norm.js';
import { Random } from '../random.js';
import type { Schedule } from '../schedules/index.js';
import { routeParameters, type GroupSpec } from './groups.js';
import { checkLr, checkMomentum, checkScale } from './hyperparameters.js';
import { STATE_FORMAT, STATE_VERSION, type OptimizerState } from './state.js';

/** Parameters or gradients by name: a plain object or a Map. Insertion order is the parameter order. */
export type NamedTensors<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;

/** What to do with a gradient that holds NaN or ±Inf. */
export type NonFinitePolicy =
  /** Throw a `NON_FINITE_GRADIENT` error before anything is written (default). */
  | 'throw'
  /** Skip the step: parameters, state and step count stay as they were; `skippedSteps` grows. */
  | 'skip'
  /** Do not check (saves a device→host read per step); NaN then flows into the parameters. */
  | 'ignore';

/** Options of {@link createOptimizer}. */
export interface OptimizerOptions {
  /** Base learning rate γ (finite, ≥ 0). */
  readonly lr: number;
  /** Multiplies γ at each step (`schedule(stepCount)`). Default: constant 1. */
  readonly schedule?: Schedule;
  /** Momentum α ∈ (0, 1]: `d ← (1 − α)·d + α·g`; 1 disables the buffer. Default `0.1`. */
  readonly momentum?: number;
  /** Radius ρ for groups that do not set `scale`. Default `1`. */
  readonly scale?: number;
  /** uSCG (`x ← x − γρ·lmo(d)`) instead of SCG (`x ← (1 − γ)·x − γρ·lmo(d)`). Default `false`. */
  readonly unconstrained?: boolean;
  /**
   * ScionLight: keep no momentum buffer; use the gradient buffer itself as `d` and scale it by
   * `(1 − α)` after the update, so the next backward pass must ACCUMULATE into it
   * (`G ← (1 − α)·G + g`). Gradients passed to `step()` must then be persistent tensors. Default `false`.
   */
  readonly light?: boolean;
  /** Parameter groups. Default: one group, every parameter, with `norm` (or {@link auto}). */
  readonly groups?: readonly GroupSpec[];
  /** The norm of the single default group when `groups` is not given. Default {@link auto}. */
  readonly norm?: Norm;
  /** NaN/Inf gradient policy. Default `'throw'`. */
  readonly nonFinite?: NonFinitePolicy;
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
  readonly name: string;
  readonly param: T;
  readonly shape: Shape;
  readonly group: ResolvedGroup;
  /** The momentum buffer d (absent when α = 1 or in light mode). */
  buffer: T | undefined;
}

interface ResolvedGroup {
  readonly name: string;
  readonly norm: Norm;
  readonly scale: number;
  readonly lr: number;
  readonly momentum: number;
  readonly unconstrained: boolean;
}

/**
 * The unified LMO optimizer (Pethick et al. 2025, arXiv 2502.07529) over a {@link TensorBackend}.
 *
 * Per parameter, with its group's lr γ (× schedule), momentum α and radius ρ:
 *
 * ```
 * d ← (1 − α)·d + α·g              (skipped when α = 1; d starts at 0; ScionLight: d is G itself)
 * u ← ρ · lmo(d)
 * SCG:  x ← (1 − γ)·x − γ·u        (default: iterates stay in the ρ-ball)
 * uSCG: x ← x − γ·u
 * ScionLight: afterwards G ← (1 − α)·G
 * ```
 *
 * Create it with {@link createOptimizer} or a preset ({@link scion}, {@link muon}, …).
 */
export class LmoOptimizer<T> {
  readonly #backend: TensorBackend<T>;
  readonly #slots: Slot<T>[];
  readonly #byName: Map<string, Slot<T>>;
  readonly #schedule: Schedule | undefined;
  readonly #light: boolean;
  readonly #nonFinite: NonFinitePolicy;
  #step = 0;
  #skipped = 0;
  #disposed = false;

  constructor(backend: TensorBackend<T>, params: NamedTensors<T>, options: OptimizerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new LmoError('INVALID_HYPERPARAMETER', 'options must be an object with at least { lr }');
    }
    checkLr('lr', options.lr);
    const momentum = options.momentum ?? 0.1;
    checkMomentum('momentum', momentum);
    const scale = options.scale ?? 1;
    checkScale('scale', scale);
    if (options.schedule !== undefined && typeof options.schedule !== 'function') {
      throw new LmoError('INVALID_HYPERPARAMETER', 'schedule must be a function (step) => factor');
    }
    const nonFinite = options.nonFinite ?? 'throw';
    if (nonFinite !== 'throw' && nonFinite !== 'skip' && nonFinite !== 'ignore') {
      throw new LmoError('INVALID_HYPERPARAMETER', `nonFinite must be "throw", "skip" or "ignore", got "${String(nonFinite)}"`);
    }
    if (options.groups !== undefined && options.norm !== undefined) {
      throw new LmoError('INVALID_HYPERPARAMETER', 'give either "groups" or "norm", not both (set each group\'s norm instead)');
    }
    this.#backend = backend;
    this.#schedule = options.schedule;
    this.#light = options.light ?? false;
    this.#nonFinite = nonFinite;

    const entries = params instanceof Map ? [...params.entries()] : Object.entries(params as Record<string, T>);
    if (entries.length === 0) throw new LmoError('INVALID_HYPERPARAMETER', 'params is empty: give at least one parameter');
    const specs: readonly GroupSpec[] = options.groups ?? [{ name: 'default', norm: options.norm ?? auto() }];
    if (!Array.isArray(specs) || specs.length === 0) {
      throw new LmoError('GROUP_ROUTING', 'groups must be a non-empty array (omit it to put every parameter in one group)');
    }
    const groups = specs.map((spec, i): ResolvedGroup => {
      const name = spec.name ?? `group${i}`;
      const where = `groups[${i}] (${name})`;
      if (!spec.norm || typeof spec.norm.lmo !== 'function') {
        throw new LmoError('UNKNOWN_NORM', `${where}: "norm" must be a Norm, e.g. spectral() or sign()`);
      }
      if (spec.lr !== undefined) checkLr(`${where}.lr`, spec.lr);
      if (spec.momentum !== undefined) checkMomentum(`${where}.momentum`, spec.momentum);
      if (spec.scale !== undefined) checkScale(`${where}.scale`, spec.scale);
      return {
        name,
        norm: spec.norm,
        scale: spec.scale ?? scale,
        lr: spec.lr ?? options.lr,
        momentum: spec.momentum ?? momentum,
        unconstrained: spec.unconstrained ?? options.unconstrained ?? false,
      };
    });
    const seen = new Set<string>();
    for (const g of groups) {
      if (seen.has(g.name)) throw new LmoError('GROUP_ROUTING', `two groups are named "${g.name}"; group names must be unique`);
      seen.add(g.name);
    }
    for (const [name, param] of entries) {
      if (param === undefined || param === null) {
        throw new LmoError('INVALID_HYPERPARAMETER', `params["${name}"] is ${String(param)}; expected a tensor of the backend`);
      }
    }
    const described = entries.map(([name, param]) => ({ name, param, shape: [...backend.shape(param)] as Shape }));
    const routes = routeParameters(described, specs, (i) => `"${groups[i]!.name}"`);
    this.#slots = described.map(({ name, param, shape }, i) => {
      const group = groups[routes[i]!]!;
      group.norm.check(shape, name);
      return { name, param, shape, group, buffer: undefined };
    });
    for (const slot of this.#slots) {
      if (!this.#light && slot.group.momentum < 1) slot.buffer = backend.zerosLike(slot.param);
    }
    this.#byName = new Map(this.#slots.map((s) => [s.name, s]));
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
    return this.#slots.map((s) => ({ name: s.name, shape: s.shape, group: s.group.name, norm: s.group.norm }));
  }

  /** The learning rate γ a parameter's group uses at the next step (base lr × schedule). */
  learningRate(name: string): number {
    const slot = this.#byName.get(name);
    if (!slot) throw new LmoError('UNKNOWN_PARAMETER', `no parameter named "${name}"`);
    return this.#lrOf(slot.group);
  }

  #lrOf(group: ResolvedGroup): number {
    const factor = this.#schedule ? this.#schedule(this.#step) : 1;
    const lr = group.lr * factor;
    if (!Number.isFinite(lr) || lr < 0) {
      throw new LmoError(
        'INVALID_HYPERPARAMETER',
        `learning rate of group "${group.name}" at step ${this.#step} is ${lr} (lr ${group.lr} × schedule ${factor}); expected a finite number ≥ 0`,
      );
    }
    return lr;
  }

  #alive(): void {
    if (this.#disposed) throw new LmoError('BACKEND', 'this optimizer has been disposed');
  }

  /**
   * Takes one step with the given gradients (one per parameter, same names and shapes).
   *
   * Validation (missing, unknown or mis-shaped gradients, non-finite values under the default
   * policy, an invalid scheduled lr) happens before anything is written: a step that throws leaves
   * parameters, state and step count unchanged. Returns a Promise on asynchronous backends.
   */
  step(grads: NamedTensors<T>): MaybePromise<void> {
    this.#alive();
    const backend = this.#backend;
    const lookup = grads instanceof Map ? (n: string) => grads.get(n) : (n: string) => (grads as Record<string, T>)[n];
    const names = grads instanceof Map ? [...grads.keys()] : Object.keys(grads);
    for (const n of names) {
      if (!this.#byName.has(n)) throw new LmoError('UNKNOWN_PARAMETER', `gradient given for unknown parameter "${n}"`);
    }
    const gs = this.#slots.map((slot) => {
      const g = lookup(slot.name);
      if (g === undefined || g === null) {
        throw new LmoError('MISSING_GRADIENT', `no gradient for parameter "${slot.name}"`);
      }
      const shape = backend.shape(g);
      if (shape.length !== slot.shape.length || shape.some((d, i) => d !== slot.shape[i])) {
        throw new LmoError(
          'SHAPE_MISMATCH',
          `gradient of "${slot.name}" has shape [${shape.join(', ')}], expected [${slot.shape.join(', ')}]`,
        );
      }
      return g;
    });
    const lrs = new Map([...new Set(this.#slots.map((s) => s.group))].map((g) => [g, this.#lrOf(g)]));
    const finite: MaybePromise<boolean> = this.#nonFinite === 'ignore' ? true : backend.allFinite(gs);
    return andThen(finite, (ok) => {
      if (!ok) {
        if (this.#nonFinite === 'throw') {
          return andThen(this.#nonFiniteNames(gs), (names) => {
            throw new LmoError('NON_FINITE_GRADIENT', `a gradient contains NaN or Inf (${names}); nothing was updated`);
          });
        }
        this.#skipped++;
        return;
      }
      return andThen(
        backend.run(() => this.#update(gs, lrs)),
        () => {
          this.#step++;
        },
      );
    });
  }

  #nonFiniteNames(gs: readonly T[]): MaybePromise<string> {
    // Only used for the error message: which gradients hold NaN/Inf (asynchronously on async backends).
    const checks = gs.map((g) => this.#backend.allFinite([g]));
    const describe = (oks: readonly boolean[]): string =>
      `in ${oks.flatMap((ok, i) => (ok ? [] : [`"${this.#slots[i]!.name}"`])).join(', ')}`;
    if (checks.some((c) => c instanceof Promise)) return Promise.all(checks).then(describe);
    return describe(checks as boolean[]);
  }

  #update(gs: readonly T[], lrs: ReadonlyMap<ResolvedGroup, number>): void {
    const b = this.#backend;
    const writes: Array<readonly [T, T]> = [];
    this.#slots.forEach((slot, i) => {
      const g = gs[i] as T;
      const { momentum: alpha, scale: rho, unconstrained, norm } = slot.group;
      const lr = lrs.get(slot.group)!;
      let d = g;
      if (slot.buffer !== undefined) {
        d = b.axpby(1 - alpha, slot.buffer, alpha, g);
        writes.push([slot.buffer, d]);
      } else if (this.#light) {
        // G ← (1 − α)·G, also for α = 1 (G ← 0), so that G_k = (1 − α)·G_{k−1} + g_k holds.
        writes.push([g, b.scale(g, 1 - alpha)]);
      }
      const u = norm.lmo(b, d);
      writes.push([slot.param, b.axpby(unconstrained ? 1 : 1 - lr, slot.param, -lr * rho, u)]);
    });
    for (const [target, value] of writes) b.assign(target, value);
  }

  /**
   * Re-initializes every parameter with its group's norm init times the group's scale ρ
   * (deterministic for a seed), and zeroes the momentum buffers.
   */
  init(seed: number | Random = 0): MaybePromise<void> {
    this.#alive();
    const rng = typeof seed === 'number' ? new Random(seed) : seed;
    const b = this.#backend;
    const values = this.#slots.map((slot) => {
      const data = slot.group.norm.init(slot.shape, rng);
      const rho = slot.group.scale;
      for (let i = 0; i < data.length; i++) data[i] = data[i]! * rho;
      return b.fromArray(data, slot.shape);
    });
    const zeros = this.#slots.map((s) => (s.buffer === undefined ? undefined : b.zerosLike(s.param)));
    const run = () =>
      b.run(() => {
        this.#slots.forEach((slot, i) => {
          b.assign(slot.param, values[i]!);
          if (slot.buffer !== undefined) b.assign(slot.buffer, zeros[i]!);
        });
      });
    return andFinally(run, () => {
      for (const t of [...values, ...zeros]) if (t !== undefined) b.dispose(t);
    });
  }

  /** A snapshot of the optimizer state: versioned, JSON-safe but for its Float32Arrays. */
  getState(): MaybePromise<OptimizerState> {
    this.#alive();
    const reads = this.#slots.map((s) => (s.buffer === undefined ? undefined : this.#backend.read(s.buffer)));
    const collect = (arrays: Array<Float32Array | undefined>): OptimizerState => ({
      format: STATE_FORMAT,
      version: STATE_VERSION,
      step: this.#step,
      skippedSteps: this.#skipped,
      parameters: this.#slots.map((s, i) => ({
        name: s.name,
        shape: [...s.shape],
        group: s.group.name,
        ...(arrays[i] ? { momentum: arrays[i] } : {}),
      })),
    });
    if (reads.some((r) => r instanceof Promise)) return Promise.all(reads).then(collect);
    return collect(reads as Array<Float32Array | undefined>);
  }

  /**
   * Restores a state from {@link getState}. Everything is validated first (format, version, the
   * same parameter names, shapes and buffers); on any mismatch it throws a `STATE_MISMATCH` error
   * and changes nothing.
   */
  loadState(state: OptimizerState): MaybePromise<void> {
    this.#alive();
    const fail = (why: string): never => {
      throw new LmoError('STATE_MISMATCH', `cannot load optimizer state: ${why}; nothing was changed`);
    };
    if (!state || typeof state !== 'object') fail('expected the object returned by getState()');
    if (state.format !== STATE_FORMAT) fail(`format is "${String(state.format)}", expected "${STATE_FORMAT}"`);
    if (state.version !== STATE_VERSION) fail(`version is ${String(state.version)}, this library reads version ${STATE_VERSION}`);
    if (!Number.isInteger(state.step) || state.step < 0) fail(`step must be a non-negative integer, got ${String(state.step)}`);
    const skipped = state.skippedSteps ?? 0;
    if (!Number.isInteger(skipped) || skipped < 0) fail(`skippedSteps must be a non-negative integer, got ${String(skipped)}`);
    if (!Array.isArray(state.parameters)) fail('"parameters" must be an array');
    if (state.parameters.some((p) => !p || typeof p !== 'object' || typeof p.name !== 'string')) {
      fail('every entry of "parameters" must be an object with a string "name"');
    }
    const saved = new Map(state.parameters.map((p) => [p.name, p]));
    if (saved.size !== state.parameters.length) {
      const names = state.parameters.map((p) => p.name);
      fail(`parameter "${names.find((n, i) => names.indexOf(n) !== i)}" appears more than once in it`);
    }
    if (saved.size !== this.#slots.length) {
      fail(`it holds ${saved.size} parameters, this optimizer has ${this.#slots.length}`);
    }
    const buffers = this.#slots.map((slot) => {
      const p = saved.get(slot.name) ?? fail(`parameter "${slot.name}" is missing from it`);
      if (!Array.isArray(p.shape) || p.shape.length !== slot.shape.length || p.shape.some((d, i) => d !== slot.shape[i])) {
        fail(`parameter "${slot.name}" has shape [${String(p.shape)}] in it, expected [${slot.shape.join(', ')}]`);
      }
      if (slot.buffer === undefined) {
        if (p.momentum !== undefined) fail(`parameter "${slot.name}" has a momentum buffer in it, but this optimizer keeps none`);
        return undefined;
      }
      const m = p.momentum ?? fail(`parameter "${slot.name}" has no momentum buffer in it`);
      const size = slot.shape.reduce((a, d) => a * d, 1);
      if (!(m instanceof Float32Array) || m.length !== size) {
        fail(`momentum of "${slot.name}" must be a Float32Array of length ${size}`);
      }
      return m;
    });
    const b = this.#backend;
    const temps = buffers.map((m, i) => (m === undefined ? undefined : b.fromArray(m, this.#slots[i]!.shape)));
    const run = () =>
      andThen(
        b.run(() => {
          this.#slots.forEach((slot, i) => {
            if (slot.buffer !== undefined) b.assign(slot.buffer, temps[i]!);
          });
        }),
        () => {
          this.#step = state.step;
          this.#skipped = skipped;
        },
      );
    return andFinally(run, () => {
      for (const t of temps) if (t !== undefined) b.dispose(t);
    });
  }

  /** Frees the optimizer's state buffers. The optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    for (const slot of this.#slots) {
      if (slot.buffer !== undefined) this.#backend.dispose(slot.buffer);
      slot.buffer = undefined;
    }
    this.#disposed = true;
  }
}

/** Runs `cleanup` after `fn`'s (possibly asynchronous) result settles, success or failure. */
function andFinally<V>(fn: () => MaybePromise<V>, cleanup: () => void): MaybePromise<V> {
  let result: MaybePromise<V>;
  try {
    result = fn();
  } catch (error) {
    cleanup();
    throw error;
  }
  if (result instanceof Promise) return result.finally(cleanup);
  cleanup();
  return result;
}

/** Creates an {@link LmoOptimizer} (SCG by default; see the options for uSCG and ScionLight). */
export function createOptimizer<T>(backend: TensorBackend<T>, params: NamedTensors<T>, options: OptimizerOptions): LmoOptimizer<T> {
  return new LmoOptimizer(backend, params, options);
}
