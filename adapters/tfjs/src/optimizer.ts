import * as tf from '@tensorflow/tfjs-core';
import {
  LmoError,
  Random,
  auto,
  createOptimizer,
  type LmoOptimizer,
  type NonFinitePolicy,
  type Norm,
  type Schedule,
  type Shape,
  type TensorBackend,
} from '@lmo/core';
import { createTfjsBackend } from './backend.js';
import { deserializeOptions, serializeOptions, type SerializableOptions } from './config.js';
import { GroupRouter, type TfjsGroupSpec } from './groups.js';
import { normForLayout, resolveLayout, type Layout, type ResolvedLayout } from './layout.js';
import { canonicalName } from './names.js';
import { scheduleFromSpec, type ScheduleSpec } from './schedule-spec.js';

/** Options of {@link ScionOptimizer} (and of the factories in `train`). */
export interface ScionOptimizerOptions {
  /** Base learning rate γ (finite, ≥ 0). */
  readonly lr: number;
  /**
   * Multiplies γ at optimizer iteration `t` (0-based, `optimizer.iterations`). A
   * {@link ScheduleSpec} is saved with the model; a function works but cannot be saved.
   */
  readonly schedule?: ScheduleSpec | Schedule;
  /** Momentum α ∈ (0, 1] (the reference's `momentum`, i.e. 1 − β): `d ← (1 − α)·d + α·g`. Default `0.1`. */
  readonly momentum?: number;
  /** Radius ρ for groups that do not set one. Default `1`. */
  readonly scale?: number;
  /** uSCG (`x ← x − γρ·lmo(d)`) instead of Scion's SCG (`x ← (1 − γ)·x − γρ·lmo(d)`). Default `false`. */
  readonly unconstrained?: boolean;
  /**
   * ScionLight's recursion: `d ← (1 − α)·d + g` (an unnormalised EMA; the LMOs are scale-invariant).
   * tfjs hands the optimizer fresh gradients each step, so this keeps one buffer per variable, like
   * momentum: it saves no memory here. Default `false`.
   */
  readonly light?: boolean;
  /** Parameter groups, tried against each variable's name the first time the optimizer sees it. */
  readonly groups?: readonly TfjsGroupSpec[];
  /** The norm of the single group when `groups` is omitted. Default: core's `auto()`. */
  readonly norm?: Norm;
  /** The storage layout for groups that do not set one. Default `'auto'` (see {@link Layout}). */
  readonly layout?: Layout;
  /**
   * Gradients with NaN/±Inf: `'throw'` (default; nothing is written), `'skip'` the step, or
   * `'ignore'` (no check: saves one device→host read per step).
   */
  readonly nonFinite?: NonFinitePolicy;
}

/** A variable the optimizer has seen, with where it was routed. */
export interface TfjsParameterInfo {
  /** The tf.Variable's name. */
  readonly name: string;
  readonly shape: Shape;
  /** The group's name (`group<i>` when unnamed). */
  readonly group: string;
  /** How its axes were read. */
  readonly layout: ResolvedLayout;
  /** The norm's kind (`spectral`, `biasRMS`, …). */
  readonly norm: string;
  /** Whether it keeps a momentum (or ScionLight gradient) buffer. */
  readonly buffered: boolean;
}

/** A `{ name, tensor }` pair, as `tf.Optimizer.applyGradients` and `getWeights` use. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface Slot {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly group: string;
  readonly layout: ResolvedLayout;
  readonly norm: Norm;
  readonly alpha: number;
  readonly core: LmoOptimizer<tf.Tensor>;
  readonly buffer: tf.Variable | undefined;
}

const MOMENTUM_SUFFIX = '/lmo_momentum';
const LIGHT_SUFFIX = '/lmo_gradient';

function checkNumber(name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !ok(value)) {
    throw new LmoError('INVALID_HYPERPARAMETER', `${name} must be ${expected}, got ${String(value)}`);
  }
}

function validate(options: ScionOptimizerOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new LmoError('INVALID_HYPERPARAMETER', 'options must be an object with at least { lr }');
  }
  const lr = (v: number) => Number.isFinite(v) && v >= 0;
  const alpha = (v: number) => v > 0 && v <= 1;
  const rho = (v: number) => Number.isFinite(v) && v > 0;
  if (options.lr === undefined) throw new LmoError('INVALID_HYPERPARAMETER', 'lr is required');
  checkNumber('lr', options.lr, lr, 'a finite number ≥ 0');
  checkNumber('momentum', options.momentum, alpha, 'in (0, 1] (it is 1 − β: 0.1 means β = 0.9)');
  checkNumber('scale', options.scale, rho, 'a finite number > 0');
  (options.groups ?? []).forEach((g, i) => {
    const where = `groups[${i}]`;
    if (!g || !g.norm || typeof g.norm.lmo !== 'function') {
      throw new LmoError('UNKNOWN_NORM', `${where}: "norm" must be a Norm, e.g. spectral() or sign()`);
    }
    checkNumber(`${where}.lr`, g.lr, lr, 'a finite number ≥ 0');
    checkNumber(`${where}.momentum`, g.momentum, alpha, 'in (0, 1]');
    checkNumber(`${where}.scale`, g.scale, rho, 'a finite number > 0');
  });
  if (options.groups !== undefined && options.norm !== undefined) {
    throw new LmoError('INVALID_HYPERPARAMETER', 'give either "groups" or "norm", not both (set each group\'s norm instead)');
  }
  const nonFinite = options.nonFinite ?? 'throw';
  if (nonFinite !== 'throw' && nonFinite !== 'skip' && nonFinite !== 'ignore') {
    throw new LmoError('INVALID_HYPERPARAMETER', `nonFinite must be "throw", "skip" or "ignore", got "${String(nonFinite)}"`);
  }
}

/**
 * Scion (and uSCG, ScionLight, Muon, signSGD, normalized SGD) as a real `tf.Optimizer`: use it with
 * `optimizer.minimize(f)`, `optimizer.applyGradients(grads)` or `model.compile({ optimizer })` +
 * `model.fit(…)`, wherever `tf.train.adam()` goes.
 *
 * The math is core's: each variable gets, the first time a gradient for it arrives, a core
 * optimizer over the tfjs binding ({@link createTfjsBackend}) with the norm of the group its name
 * routes to, viewed through the variable's storage {@link Layout} (a tf.layers Dense kernel is
 * `[d_in, d_out]`, so it gets the LMO of the transposed view, i.e. the reference's `[d_out, d_in]`
 * semantics). Per step and variable:
 *
 * ```
 * d ← (1 − α)·d + α·g            (ScionLight: d ← (1 − α)·d_prev + g)
 * SCG:  x ← (1 − γ)·x − γ·ρ·lmo(d)
 * uSCG: x ← x − γ·ρ·lmo(d)
 * ```
 *
 * Every step is synchronous and runs inside `tf.tidy`; state lives in non-trainable
 * `tf.Variable`s keyed by variable name. `getWeights`/`setWeights` (so
 * `model.save(…, { includeOptimizer: true })` and loading restore the state exactly),
 * `getConfig`/`fromConfig` (registered with `tf.serialization` as `"LmoScion"`) and `dispose()`
 * are implemented.
 */
export class ScionOptimizer extends tf.Optimizer {
  /** The class name saved in model configs. */
  static get className(): string {
    return 'LmoScion';
  }

  readonly #options: ScionOptimizerOptions;
  readonly #backend: TensorBackend<tf.Tensor> = createTfjsBackend();
  readonly #router: GroupRouter;
  readonly #schedule: Schedule | undefined;
  readonly #slots = new Map<string, Slot>();
  /** Restored buffers (by the saved variable name) not yet claimed by a variable. */
  readonly #pending = new Map<string, tf.Variable>();
  /** Tensors made by the last getWeights() (freed by the next one and by dispose). */
  #exported: tf.Tensor[] = [];
  #skipped = 0;

  /** @param options see {@link ScionOptimizerOptions}. */
  constructor(options: ScionOptimizerOptions) {
    super();
    validate(options);
    this.#options = { ...options };
    const groups = options.groups ?? [{ name: 'default', norm: options.norm ?? auto() }];
    this.#router = new GroupRouter(groups);
    const s = options.schedule;
    this.#schedule = s === undefined ? undefined : typeof s === 'function' ? s : scheduleFromSpec(s);
  }

  /** The options this optimizer was built with. */
  get options(): ScionOptimizerOptions {
    return this.#options;
  }

  /** Steps skipped by `nonFinite: 'skip'`. */
  get skippedSteps(): number {
    return this.#skipped;
  }

  /** The variables seen so far, in order of first sight, with their group, layout and norm. */
  get parameters(): readonly TfjsParameterInfo[] {
    return [...this.#slots.values()].map((s) => ({
      name: s.name,
      shape: s.variable.shape,
      group: s.group,
      layout: s.layout,
      norm: s.norm.kind,
      buffered: s.buffer !== undefined,
    }));
  }

  /** The schedule factor at the current iteration. */
  #factor(): number {
    return this.#schedule ? this.#schedule(this.iterations) : 1;
  }

  #slotFor(name: string, variable: tf.Variable): Slot {
    const existing = this.#slots.get(name);
    if (existing) return existing;
    const shape = variable.shape;
    const index = this.#router.route(name, shape);
    const spec = this.#router.groups[index]!;
    const layout = resolveLayout(spec.layout ?? this.#options.layout ?? 'auto', name, shape.length);
    const norm = normForLayout(spec.norm, layout, shape.length);
    const alpha = spec.momentum ?? this.#options.momentum ?? 0.1;
    // Core runs the LMO and the SCG/uSCG update; the momentum/ScionLight recursion is done here,
    // on a buffer this optimizer owns, so that getWeights can hand tfjs the live tf.Variable.
    const core = createOptimizer(this.#backend, new Map([[name, variable as tf.Tensor]]), {
      lr: spec.lr ?? this.#options.lr,
      schedule: () => this.#factor(),
      momentum: 1,
      scale: spec.scale ?? this.#options.scale ?? 1,
      unconstrained: spec.unconstrained ?? this.#options.unconstrained ?? false,
      norm,
      nonFinite: 'ignore',
    });
    const needsBuffer = alpha < 1;
    const buffer = needsBuffer ? this.#claimRestored(name, shape) ?? (this.#backend.zerosLike(variable) as tf.Variable) : undefined;
    const slot: Slot = { name, variable, group: spec.name ?? `group${index}`, layout, norm, alpha, core, buffer };
    this.#slots.set(name, slot);
    return slot;
  }

  /** A restored buffer for `name`: saved under the same name, or the only one with its canonical name. */
  #claimRestored(name: string, shape: Shape): tf.Variable | undefined {
    let key: string | undefined = this.#pending.has(name) ? name : undefined;
    if (key === undefined) {
      const canonical = canonicalName(name);
      const candidates = [...this.#pending.keys()].filter((k) => canonicalName(k) === canonical && !this.#slots.has(k));
      if (candidates.length === 1) key = candidates[0];
    }
    if (key === undefined) return undefined;
    const buffer = this.#pending.get(key)!;
    if (!tf.util.arraysEqual(buffer.shape, [...shape])) {
      throw new LmoError(
        'STATE_MISMATCH',
        `restored optimizer state for "${key}" has shape [${buffer.shape.join(', ')}], but variable "${name}" has shape [${shape.join(', ')}]`,
      );
    }
    this.#pending.delete(key);
    return buffer;
  }

  /**
   * Updates the variables named in `variableGradients` (a `{ name: gradient }` map or
   * `{ name, tensor }` list, as `tf.Optimizer` defines it; `null` gradients are skipped).
   *
   * Everything is checked before anything is written (unknown variables, shapes, the scheduled
   * learning rate, NaN/Inf under the default policy): a call that throws changes nothing.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor]> = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }): [string, tf.Tensor] => [name, tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const work = entries
      .filter(([, grad]) => grad != null)
      .map(([name, grad]) => {
        const variable = registered[name];
        if (variable === undefined) {
          throw new LmoError('UNKNOWN_PARAMETER', `gradient given for "${name}", which is not a registered tf.Variable`);
        }
        if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
          throw new LmoError('SHAPE_MISMATCH', `gradient of "${name}" has shape [${grad.shape.join(', ')}], expected [${variable.shape.join(', ')}]`);
        }
        return { slot: this.#slotFor(name, variable), grad };
      });
    for (const { slot } of work) slot.core.learningRate(slot.name); // throws on an invalid scheduled lr
    const policy = this.#options.nonFinite ?? 'throw';
    if (policy !== 'ignore' && !this.#backend.allFinite(work.map((w) => w.grad))) {
      if (policy === 'throw') {
        const bad = work.filter((w) => !this.#backend.allFinite([w.grad])).map((w) => `"${w.slot.name}"`);
        throw new LmoError('NON_FINITE_GRADIENT', `a gradient contains NaN or Inf (in ${bad.join(', ')}); nothing was updated`);
      }
      this.#skipped++;
      return;
    }
    const light = this.#options.light ?? false;
    const b = this.#backend;
    tf.tidy(() => {
      for (const { slot, grad } of work) {
        const { buffer, alpha, name } = slot;
        let d = grad;
        if (buffer !== undefined) d = light ? b.add(buffer, grad) : b.axpby(1 - alpha, buffer, alpha, grad);
        void slot.core.step(new Map([[name, d]]));
        if (buffer !== undefined) b.assign(buffer, light ? b.scale(d, 1 - alpha) : d);
      }
    });
    this.incrementIterations();
  }

  /**
   * Re-initialises variables with their group norm's init times the group's scale ρ (the
   * reference's `init()`), deterministically for `seed`, and zeroes their momentum. Accepts
   * `tf.Variable`s or tf.layers weights (`model.trainableWeights`); variables are routed to groups
   * as in `applyGradients`.
   */
  init(variables: ReadonlyArray<tf.Variable | { read(): tf.Variable }>, seed: number | Random = 0): void {
    const rng = typeof seed === 'number' ? new Random(seed) : seed;
    for (const v of variables) {
      const variable = v instanceof tf.Variable ? v : v.read();
      const slot = this.#slotFor(variable.name, variable);
      void slot.core.init(rng);
      if (slot.buffer !== undefined) tf.tidy(() => slot.buffer!.assign(tf.zerosLike(slot.buffer!)));
    }
  }

  /**
   * The optimizer state for `model.save(…, { includeOptimizer: true })`: `iter` (the iteration
   * count) first, then one buffer per variable, named `<variable>/lmo_momentum` (or
   * `/lmo_gradient` for ScionLight). The buffers are the live `tf.Variable`s; the `iter` scalar is
   * owned by the optimizer and freed by the next `getWeights()` or `dispose()`.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    tf.dispose(this.#exported);
    const iter = tf.scalar(this.iterations, 'int32');
    this.#exported = [iter];
    const suffix = this.#options.light ? LIGHT_SUFFIX : MOMENTUM_SUFFIX;
    const weights: NamedTensor[] = [{ name: 'iter', tensor: iter }];
    for (const slot of this.#slots.values()) {
      if (slot.buffer !== undefined) weights.push({ name: slot.name + suffix, tensor: slot.buffer });
    }
    for (const [name, buffer] of this.#pending) weights.push({ name: name + suffix, tensor: buffer });
    return weights;
  }

  /**
   * Restores a state from {@link getWeights} (what loading a model saved with its optimizer
   * does). Buffers are matched to variables by name, now or when a variable is first seen; a
   * variable of a re-loaded model whose name differs only by tfjs's `_<n>` suffix finds its
   * buffer too. Everything is validated before anything changes.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (weightValues.length === 0 || weightValues[0]!.name !== 'iter') {
      throw new LmoError('STATE_MISMATCH', 'optimizer weights must start with the "iter" count (as getWeights() returns them)');
    }
    const suffix = this.#options.light ? LIGHT_SUFFIX : MOMENTUM_SUFFIX;
    const other = this.#options.light ? MOMENTUM_SUFFIX : LIGHT_SUFFIX;
    const restored = weightValues.slice(1).map(({ name, tensor }) => {
      if (!name.endsWith(suffix)) {
        const why = name.endsWith(other)
          ? `it was saved by a ${this.#options.light ? 'non-light' : 'ScionLight'} optimizer`
          : 'it is not a buffer of this optimizer';
        throw new LmoError('STATE_MISMATCH', `cannot restore optimizer weight "${name}": ${why}; nothing was changed`);
      }
      const variableName = name.slice(0, -suffix.length);
      const slot = this.#slots.get(variableName);
      if (slot !== undefined) {
        if (slot.buffer === undefined) {
          throw new LmoError('STATE_MISMATCH', `"${variableName}" keeps no buffer (momentum 1) but the saved state has one; nothing was changed`);
        }
        if (!tf.util.arraysEqual(slot.buffer.shape, tensor.shape)) {
          throw new LmoError('STATE_MISMATCH', `saved buffer of "${variableName}" has shape [${tensor.shape.join(', ')}], expected [${slot.buffer.shape.join(', ')}]; nothing was changed`);
        }
      }
      return { variableName, tensor, slot };
    });
    const iterations = (await weightValues[0]!.tensor.data())[0]!;
    const seen = new Set<string>();
    tf.tidy(() => {
      for (const { variableName, tensor, slot } of restored) {
        seen.add(variableName);
        if (slot !== undefined) {
          slot.buffer!.assign(tf.cast(tensor, 'float32'));
        } else {
          this.#pending.get(variableName)?.dispose();
          this.#pending.set(variableName, tf.variable(tf.cast(tensor, 'float32'), false));
        }
      }
      for (const slot of this.#slots.values()) {
        if (slot.buffer !== undefined && !seen.has(slot.name)) slot.buffer.assign(tf.zerosLike(slot.buffer));
      }
    });
    this.iterations_ = iterations;
  }

  /** The config saved with a model (see {@link ScionOptimizer.fromConfig}). */
  override getConfig(): tf.serialization.ConfigDict {
    const { schedule, ...rest } = this.#options;
    if (typeof schedule === 'function') {
      throw new LmoError(
        'INVALID_HYPERPARAMETER',
        'this optimizer\'s schedule is a function and cannot be saved with the model; give a ScheduleSpec such as { kind: "warmupCosine", warmup, decaySteps } (or save without includeOptimizer)',
      );
    }
    const serializable: SerializableOptions = { ...rest, ...(schedule ? { schedule } : {}) };
    return serializeOptions(serializable);
  }

  /** Rebuilds an optimizer from {@link getConfig}'s data (used by `tf.loadLayersModel`). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(deserializeOptions(config));
  }

  /** Frees every buffer this optimizer owns. It can still be used afterwards (state restarts at zero). */
  override dispose(): void {
    for (const slot of this.#slots.values()) {
      slot.buffer?.dispose();
      slot.core.dispose();
    }
    this.#slots.clear();
    for (const buffer of this.#pending.values()) buffer.dispose();
    this.#pending.clear();
    tf.dispose(this.#exported);
    this.#exported = [];
  }
}

/**
 * Registers {@link ScionOptimizer} with `tf.serialization` (idempotent), so that
 * `tf.loadLayersModel` can rebuild the optimizer of a model saved with `includeOptimizer: true`.
 * Importing this module already does it; call it explicitly in code that only loads models, where
 * a bundler honouring `sideEffects: false` could otherwise drop an unused import.
 *
 * @returns the registered class.
 */
export function registerScionOptimizer(): typeof ScionOptimizer {
  tf.serialization.registerClass(ScionOptimizer);
  return ScionOptimizer;
}

registerScionOptimizer();
