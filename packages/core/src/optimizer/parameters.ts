/**
 * The optimizer's parameter table: each parameter's tensor, plan and buffers, how parameters are
 * added (validated first, then all at once), and how named tensors given to a step are checked
 * against it.
 */
import type { TensorBackend } from '../backend/contract.js';
import { LmoError, type LmoErrorCode, shown } from '../errors.js';
import { formatShape, sameShape } from '../shape.js';
import type { NormView, ParameterPlan, UpdateRule } from './rule.js';
import type { BufferName } from './state.js';

/** Parameters or gradients by name: a plain object or a Map. Insertion order is the parameter order. */
export type NamedTensors<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;

/**
 * Caller-owned state: returns the persistent tensor that holds buffer `buffer` of parameter `name`
 * (of `param`'s shape, holding zeros or values you restored). Called once per buffer when the
 * parameter is added; the optimizer writes these tensors but never disposes them.
 */
export type BufferAllocator<T> = (name: string, buffer: BufferName, param: T) => T;

/** How parameters added with `add` are known and seen (for frameworks that store weights their own way). */
export interface AddOptions {
  /** More names a group's `match` is tried against, per parameter (e.g. a name without a framework's suffix). */
  readonly aliases?: (name: string) => readonly string[];
  /** The group's norm as seen from a parameter's storage (e.g. `transposed(norm)` for a `[d_in, d_out]` kernel). */
  readonly view?: (name: string) => NormView | undefined;
}

export interface Slot<T> {
  readonly plan: ParameterPlan;
  readonly param: T;
  readonly buffers: Map<BufferName, T>;
}

export function entriesOf<T>(tensors: NamedTensors<T>, what: string): Array<[string, T]> {
  if (tensors instanceof Map) return [...tensors.entries()];
  if (tensors === null || typeof tensors !== 'object') {
    throw new LmoError('INVALID_HYPERPARAMETER', `${what} must be an object or a Map of tensors by name, got ${shown(tensors)}`);
  }
  return Object.entries(tensors as Record<string, T>);
}

export class ParameterTable<T> {
  readonly #backend: TensorBackend<T>;
  readonly #rule: UpdateRule;
  readonly #allocate: BufferAllocator<T> | undefined;
  readonly slots: Slot<T>[] = [];
  readonly byName = new Map<string, Slot<T>>();
  /** Buffers this optimizer allocated (and frees). */
  readonly owned = new Set<T>();

  constructor(backend: TensorBackend<T>, rule: UpdateRule, allocate: BufferAllocator<T> | undefined) {
    this.#backend = backend;
    this.#rule = rule;
    this.#allocate = allocate;
  }

  requireTensor(x: unknown, what: string | (() => string)): asserts x is T {
    if (!this.#backend.isTensor(x)) {
      if (typeof what === 'function') what = what();
      const kind = x === null ? 'null' : x === undefined ? 'undefined' : (x as object).constructor?.name ?? typeof x;
      throw new LmoError('BACKEND', `${what} is not a tensor of the ${this.#backend.name} backend (got ${kind}); create tensors with that backend, and do not use them after dispose()`);
    }
  }

  /**
   * Adds parameters: every name new, every tensor a live tensor of the backend and none given twice
   * (nor already a parameter), each routed to a group whose norm accepts its shape, and, once there
   * are parameters, every group with a `match` used. Everything is checked before anything changes.
   * `gradient` gives ScionLight's caller-owned gradient buffers; without `tensors` the buffers are
   * kept elsewhere (no tensor is made for them).
   */
  add(params: NamedTensors<T>, options: AddOptions = {}, gradient?: (name: string) => T, tensors = true): void {
    const entries = entriesOf(params, 'params');
    /** Every tensor already in use, described for messages. */
    const used = new Map<T, string>(this.slots.flatMap((s) => [[s.param, `parameter "${s.plan.name}"`] as const, ...[...s.buffers].map(([b, t]) => [t, `the "${b}" buffer of "${s.plan.name}"`] as const)]));
    for (const [name, p] of entries) {
      if (this.byName.has(name)) throw new LmoError('INVALID_HYPERPARAMETER', `parameter "${name}" is already known to this optimizer`);
      this.requireTensor(p, `params["${name}"]`);
      const other = used.get(p);
      if (other !== undefined) {
        throw new LmoError('INVALID_HYPERPARAMETER', `params["${name}"] is the same tensor as ${other}: each parameter must be its own tensor (one of the two updates would be lost)`);
      }
      used.set(p, `parameter "${name}"`);
    }
    const plans = entries.map(([name, p]) => this.#rule.plan(name, this.#backend.shape(p), options.aliases?.(name) ?? [], options.view?.(name)));
    if (this.slots.length + plans.length > 0) this.#rule.requireAllUsed([...this.slots.map((s) => s.plan), ...plans]);
    const added = plans.map((plan, i): Slot<T> => ({ plan, param: entries[i]![1], buffers: new Map() }));
    const made: T[] = [];
    try {
      for (const slot of tensors ? added : []) {
        for (const buffer of slot.plan.buffers) slot.buffers.set(buffer, this.#buffer(slot, buffer, gradient, made, used));
      }
    } catch (error) {
      for (const t of made) this.#backend.dispose(t);
      throw error;
    }
    for (const t of made) this.owned.add(t);
    for (const slot of added) {
      this.slots.push(slot);
      this.byName.set(slot.plan.name, slot);
    }
  }

  #buffer(slot: Slot<T>, buffer: BufferName, gradient: ((name: string) => T) | undefined, made: T[], used: Map<T, string>): T {
    const { name, shape } = slot.plan;
    const given = buffer === 'gradient' && gradient !== undefined ? gradient(name) : this.#allocate?.(name, buffer, slot.param);
    if (given === undefined) {
      const zeros = this.#backend.zerosLike(slot.param);
      made.push(zeros);
      return zeros;
    }
    const what = `the "${buffer}" buffer of "${name}"`;
    this.requireTensor(given, what);
    const own = this.#backend.shape(given);
    if (!sameShape(own, shape)) throw new LmoError('SHAPE_MISMATCH', `${what} has shape ${formatShape(own)}, expected ${formatShape(shape)}`);
    const other = used.get(given);
    if (other !== undefined) throw new LmoError('INVALID_HYPERPARAMETER', `${what} is the same tensor as ${other}: each buffer must be its own tensor`);
    used.set(given, what);
    return given;
  }

  /**
   * A lookup of `tensors` by slot that checks names (no unknown ones, none missing), tensors and
   * shapes. With `skippable`, a `null` entry means "not this time" and yields `null`.
   */
  lookup(tensors: NamedTensors<T | null>, what: string, code: LmoErrorCode, skippable = false): (slot: Slot<T>) => T | null {
    const entries = entriesOf(tensors, what);
    const byName = new Map(entries);
    for (const [name] of entries) {
      if (!this.byName.has(name)) throw new LmoError('UNKNOWN_PARAMETER', `${what} has an entry for unknown parameter "${name}"`);
    }
    for (const slot of this.slots) {
      const name = slot.plan.name;
      const t = byName.get(name);
      if (t === null && skippable) continue;
      if (t === undefined || t === null) {
        throw new LmoError(code, `${what} has no entry for parameter "${name}"${skippable ? ' (give null to leave it unchanged this step)' : ''}`);
      }
      this.requireTensor(t, () => `${what}["${name}"]`);
      const shape = this.#backend.shape(t);
      if (!sameShape(shape, slot.plan.shape)) {
        throw new LmoError('SHAPE_MISMATCH', `${what}["${name}"] has shape ${formatShape(shape)}, expected ${formatShape(slot.plan.shape)}`);
      }
    }
    return (slot) => byName.get(slot.plan.name) ?? null;
  }

  /** Frees the buffers this table allocated. */
  dispose(): void {
    for (const t of this.owned) this.#backend.dispose(t);
    this.owned.clear();
    for (const slot of this.slots) slot.buffers.clear();
  }
}
