import * as tf from '@tensorflow/tfjs-core';
import { LmoError, Random, type Norm, type Shape } from '@lmo/core';
import { UpdateRule, afterGuard, applyWrites, type ParameterPlan, type UpdateItem } from '@lmo/core/backend';
import { createTfjsBackend } from './backend.js';
import { deserializeOptions, serializeOptions } from './config.js';
import { normForLayout, resolveLayout, type ResolvedLayout } from './layout.js';
import { canonicalName } from './names.js';
import { coreOptions, type ScionOptimizerOptions } from './options.js';
import { OptimizerBuffers, type NamedTensor } from './weights.js';

/** A variable the optimizer has seen, with where it was routed. */
export interface TfjsParameterInfo {
  /** The tf.Variable's name. */
  readonly name: string;
  readonly shape: Shape;
  /** The group's name (`group<i>` when unnamed). */
  readonly group: string;
  /** How its axes were read. */
  readonly layout: ResolvedLayout;
  /** The norm's kind (`spectral`, `biasRMS`, …; `transposed` for a Keras Dense kernel). */
  readonly norm: string;
  /** Whether it keeps a buffer (momentum, or ScionLight's gradient buffer). */
  readonly buffered: boolean;
}

interface Slot {
  readonly plan: ParameterPlan;
  readonly variable: tf.Variable;
  readonly layout: ResolvedLayout;
}

/**
 * Scion (and uSCG, ScionLight, Muon, signSGD, normalized SGD) as a real `tf.Optimizer`: use it with
 * `optimizer.minimize(f)`, `optimizer.applyGradients(grads)` or `model.compile({ optimizer })` +
 * `model.fit(…)`, wherever `tf.train.adam()` goes.
 *
 * The update is core's `UpdateRule` (routing, hyperparameters, schedule, non-finite policy) over
 * the tfjs binding ({@link createTfjsBackend}); each variable's norm is seen through its storage
 * layout (a tf.layers Dense kernel is `[d_in, d_out]`, so it gets the LMO of the transposed view,
 * i.e. the reference's `[d_out, d_in]` semantics). Per step and variable:
 *
 * ```
 * d ← (1 − α)·d + α·g            (ScionLight: G ← G + g, d = G, then G ← (1 − α)·G)
 * SCG:  x ← (1 − γ)·x − γ·ρ·lmo(d)
 * uSCG: x ← x − γ·ρ·lmo(d)
 * ```
 *
 * Steps are synchronous, inside one `tf.tidy`. The buffers are non-trainable `tf.Variable`s keyed
 * by variable name: `getWeights`/`setWeights` (so `model.save(…, { includeOptimizer: true })` and
 * loading restore the state exactly), `getConfig`/`fromConfig` (registered with `tf.serialization`
 * as `"LmoScion"`) and `dispose()` are implemented.
 */
export class ScionOptimizer extends tf.Optimizer {
  /** The class name saved in model configs. */
  static get className(): string {
    return 'LmoScion';
  }

  readonly #options: ScionOptimizerOptions;
  readonly #rule: UpdateRule;
  readonly #backend = createTfjsBackend();
  readonly #slots = new Map<string, Slot>();
  readonly #buffers: OptimizerBuffers;
  #skipped = 0;

  /** @param options see {@link ScionOptimizerOptions}. */
  constructor(options: ScionOptimizerOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', 'options must be an object with at least { lr }');
    this.#rule = new UpdateRule(coreOptions(options));
    this.#options = { ...options };
    this.#buffers = new OptimizerBuffers(this.#rule.light);
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
      name: s.plan.name,
      shape: s.variable.shape,
      group: s.plan.group.name,
      layout: s.layout,
      norm: s.plan.norm.kind,
      buffered: this.#buffers.get(s.plan.name) !== undefined,
    }));
  }

  #slotFor(name: string, variable: tf.Variable): Slot {
    const existing = this.#slots.get(name);
    if (existing) return existing;
    const shape = variable.shape;
    const routed = this.#rule.plan([name, canonicalName(name)], shape);
    const spec = this.#options.groups?.[routed.group.index];
    const layout = resolveLayout(spec?.layout ?? this.#options.layout ?? 'auto', name, shape.length);
    const norm: Norm = normForLayout(routed.group.norm, layout, shape.length);
    norm.check(shape, name);
    const plan: ParameterPlan = { ...routed, norm };
    if (this.#rule.light || this.#rule.buffered(plan)) this.#buffers.claim(name, variable);
    const slot: Slot = { plan, variable, layout };
    this.#slots.set(name, slot);
    return slot;
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
        if (variable === undefined) throw new LmoError('UNKNOWN_PARAMETER', `gradient given for "${name}", which is not a registered tf.Variable`);
        if (!this.#backend.isTensor(grad)) throw new LmoError('BACKEND', `the gradient of "${name}" is not a live tf.Tensor`);
        if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
          throw new LmoError('SHAPE_MISMATCH', `gradient of "${name}" has shape [${grad.shape.join(', ')}], expected [${variable.shape.join(', ')}]`);
        }
        return { slot: this.#slotFor(name, variable), grad };
      });
    const light = this.#rule.light;
    const items: UpdateItem<tf.Tensor>[] = work.map(({ slot, grad }) => {
      const buffer = this.#buffers.get(slot.plan.name);
      if (light) return { plan: slot.plan, param: slot.variable, grad: buffer!, fresh: grad };
      return { plan: slot.plan, param: slot.variable, grad, ...(buffer !== undefined ? { buffer } : {}) };
    });
    const b = this.#backend;
    const policy = this.#rule.nonFinite;
    const applied = b.run(() => applyWrites(b, this.#rule.update(b, items, this.iterations)), {
      ...(policy === 'ignore' ? {} : { guard: work.map((w) => w.grad) }),
      onCommit: () => this.incrementIterations(),
    });
    const outcome = afterGuard(b, applied, policy, work.map((w) => [w.slot.plan.name, w.grad] as const));
    if (outcome === 'skipped') this.#skipped++;
  }

  /**
   * Re-initialises variables with their group norm's init times the group's radius ρ (the
   * reference's `init()`), deterministically for `seed`, and zeroes their buffers. Accepts
   * `tf.Variable`s or tf.layers weights (`model.trainableWeights`); variables are routed to groups
   * as in `applyGradients`.
   */
  init(variables: ReadonlyArray<tf.Variable | { read(): tf.Variable }>, seed: number | Random = 0): void {
    const rng = typeof seed === 'number' ? new Random(seed) : seed;
    const slots = variables.map((v) => {
      const variable = v instanceof tf.Variable ? v : v.read();
      return this.#slotFor(variable.name, variable);
    });
    const values = slots.map((s) => this.#rule.initialValues(s.plan, rng));
    tf.tidy(() => {
      slots.forEach((s, i) => {
        s.variable.assign(tf.tensor(values[i]!, s.variable.shape, 'float32'));
        const buffer = this.#buffers.get(s.plan.name);
        if (buffer !== undefined) buffer.assign(tf.zerosLike(buffer));
      });
    });
  }

  /**
   * The optimizer state for `model.save(…, { includeOptimizer: true })`: `iter` (the iteration
   * count) first, then one buffer per variable, named `<variable>/lmo_momentum` (or
   * `/lmo_gradient` for ScionLight).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    return this.#buffers.export(this.iterations);
  }

  /**
   * Restores a state from {@link getWeights} (what loading a model saved with its optimizer
   * does). Buffers are matched to variables by name, now or when a variable is first seen; a
   * variable of a re-loaded model whose name differs only by tfjs's `_<n>` suffix finds its
   * buffer too. Everything is validated before anything changes.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.iterations_ = await this.#buffers.restore(weightValues);
  }

  /** The config saved with a model (see {@link ScionOptimizer.fromConfig}). */
  override getConfig(): tf.serialization.ConfigDict {
    return serializeOptions(this.#options);
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
    this.#buffers.dispose();
    this.#slots.clear();
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
