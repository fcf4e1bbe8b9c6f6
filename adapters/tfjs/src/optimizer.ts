import * as tf from '@tensorflow/tfjs-core';
import { LmoError, createOptimizer, type LmoOptimizer, type Norm, type Random, type Shape } from '@lmo/core';
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

/**
 * Scion (and uSCG, ScionLight, Muon, signSGD, normalized SGD) as a real `tf.Optimizer`: use it with
 * `optimizer.minimize(f)`, `optimizer.applyGradients(grads)` or `model.compile({ optimizer })` +
 * `model.fit(…)`, wherever `tf.train.adam()` goes.
 *
 * A thin shell over `@lmo/core`'s optimizer on the tfjs binding ({@link createTfjsBackend}): core
 * routes, validates, steps and applies the non-finite policy; this class adds what is tf's. A
 * variable becomes known at the first `applyGradients` that names it (a `null` gradient leaves it,
 * and its buffer, unchanged); each variable's norm is seen through its storage layout (a tf.layers
 * Dense kernel is `[d_in, d_out]`, so it gets the LMO of the transposed view, i.e. the reference's
 * `[d_out, d_in]` semantics). Per step and variable:
 *
 * ```
 * d ← (1 − α)·d + α·g            (ScionLight: G ← G + g, d = G, then G ← (1 − α)·G)
 * SCG:  x ← (1 − γ)·x − γ·ρ·lmo(d)
 * uSCG: x ← x − γ·ρ·lmo(d)
 * ```
 *
 * Steps are synchronous, inside one `tf.tidy`; `iterations` is core's step counter (the schedule's
 * index). The buffers are non-trainable `tf.Variable`s owned here and keyed by variable name:
 * `getWeights`/`setWeights` (so `model.save(…, { includeOptimizer: true })` and loading restore the
 * state exactly), `getConfig`/`fromConfig` (registered with `tf.serialization` as `"LmoScion"`) and
 * `dispose()` are implemented.
 */
export class ScionOptimizer extends tf.Optimizer {
  /** The class name saved in model configs. */
  static get className(): string {
    return 'LmoScion';
  }

  readonly #options: ScionOptimizerOptions;
  readonly #core: LmoOptimizer<tf.Tensor, 'sync'>;
  readonly #buffers: OptimizerBuffers;
  readonly #layouts = new Map<string, ResolvedLayout>();
  #disposed = false;

  /** @param options see {@link ScionOptimizerOptions}. */
  constructor(options: ScionOptimizerOptions) {
    super();
    if (options === null || typeof options !== 'object') throw new LmoError('INVALID_HYPERPARAMETER', 'options must be an object with at least { lr }');
    const core = coreOptions(options);
    this.#options = { ...options };
    this.#buffers = new OptimizerBuffers(core.light === true);
    this.#core = createOptimizer(createTfjsBackend(), {}, { ...core, buffers: (name, _buffer, variable) => this.#buffers.claim(name, variable as tf.Variable) });
  }

  /** The options this optimizer was built with. */
  get options(): ScionOptimizerOptions {
    return this.#options;
  }

  /** The number of steps taken (skipped steps not counted): the index the schedule is evaluated at. */
  override get iterations(): number {
    return this.#core.stepCount;
  }

  /** Steps skipped by `nonFinite: 'skip'`. */
  get skippedSteps(): number {
    return this.#core.skippedSteps;
  }

  /** The variables seen so far, in order of first sight, with their group, layout and norm. */
  get parameters(): readonly TfjsParameterInfo[] {
    return this.#core.parameters.map((p) => ({
      name: p.name,
      shape: p.shape,
      group: p.group,
      layout: this.#layouts.get(p.name)!,
      norm: p.norm!.kind,
      buffered: p.buffers.length > 0,
    }));
  }

  #alive(): void {
    if (this.#disposed) throw new LmoError('BACKEND', 'this optimizer has been disposed (its buffers are gone); create a new one');
  }

  /** Makes the named variables known to core: routed by name and canonical name, their norms seen through their layouts. */
  #know(variables: readonly tf.Variable[]): void {
    const fresh = variables.filter((v, i) => !this.#core.has(v.name) && variables.findIndex((w) => w.name === v.name) === i);
    if (fresh.length === 0) return;
    const byName = new Map(fresh.map((v) => [v.name, v]));
    this.#core.add(byName, {
      aliases: (name) => [canonicalName(name)],
      view: (name) => (norm: Norm, group) => {
        const rank = byName.get(name)!.shape.length;
        const layout = resolveLayout(this.#options.groups?.[group.index]?.layout ?? this.#options.layout ?? 'auto', name, rank);
        this.#layouts.set(name, layout);
        return normForLayout(norm, layout, rank);
      },
    });
  }

  /**
   * Updates the variables named in `variableGradients` (a `{ name: gradient }` map or
   * `{ name, tensor }` list, as `tf.Optimizer` defines it); a `null` gradient leaves its variable and
   * buffer unchanged.
   *
   * Everything is checked before anything is written (unknown variables, shapes, the groups, the
   * scheduled learning rate, NaN/Inf under the default policy): a call that throws changes nothing.
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.#alive();
    const entries: Array<[string, tf.Tensor | null]> = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }): [string, tf.Tensor] => [name, tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    this.#know(
      entries.map(([name]) => {
        const variable = registered[name];
        if (variable === undefined) throw new LmoError('UNKNOWN_PARAMETER', `gradient given for "${name}", which is not a registered tf.Variable`);
        return variable;
      }),
    );
    const grads = new Map<string, tf.Tensor | null>(this.#core.parameters.map((p) => [p.name, null]));
    for (const [name, grad] of entries) grads.set(name, grad ?? null);
    this.#core.step(grads);
  }

  /**
   * Re-initialises variables with their group norm's init times the group's radius ρ (the
   * reference's `init()`), deterministically for `seed`, and zeroes their buffers. Accepts
   * `tf.Variable`s or tf.layers weights (`model.trainableWeights`); variables are routed to groups
   * as in `applyGradients`.
   */
  init(variables: ReadonlyArray<tf.Variable | { read(): tf.Variable }>, seed: number | Random = 0): void {
    this.#alive();
    const vars = variables.map((v) => (v instanceof tf.Variable ? v : v.read()));
    this.#know(vars);
    this.#core.init(seed, vars.map((v) => v.name));
  }

  /**
   * The optimizer state for `model.save(…, { includeOptimizer: true })`: `iter` (the iteration
   * count) first, then one buffer per variable, named `<variable>/lmo_momentum` (or
   * `/lmo_gradient` for ScionLight).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#alive();
    return this.#buffers.export(this.iterations);
  }

  /**
   * Restores a state from {@link getWeights} (what loading a model saved with its optimizer
   * does). Buffers are matched to variables by name, now or when a variable is first seen; a
   * variable of a re-loaded model whose name differs only by tfjs's `_<n>` suffix finds its
   * buffer too. Everything is validated before anything changes.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.#alive();
    this.#core.stepCount = await this.#buffers.restore(weightValues);
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

  /** Frees every buffer this optimizer owns. It cannot be used afterwards: every call fails with a `BACKEND` error. */
  override dispose(): void {
    if (this.#disposed) return;
    this.#core.dispose();
    this.#buffers.dispose();
    this.#disposed = true;
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
