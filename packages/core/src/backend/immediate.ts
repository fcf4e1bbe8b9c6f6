/**
 * The execution machinery of a synchronous (eager) backend, written once: `run` scopes that
 * collect their assigns and apply them when the outermost scope ends, nested scopes that join the
 * outer one, guards, and commit callbacks. An engine plugs in how it writes (copy into an array,
 * `tf.Variable.assign`, swap a texture) and, optionally, what a scope owns.
 */
import type { RunOptions } from './contract.js';
import type { RecordedWrite } from './deferred.js';

/** What an eager engine provides to {@link ImmediateExecution}. `S` is its own per-scope bookkeeping. */
export interface ImmediateEngine<T, S = undefined> {
  /** Whether no element of `xs` is NaN or ±Inf (a `run`'s guard, checked before its function runs). */
  allFinite(xs: readonly T[]): boolean;
  /**
   * Makes every write's target hold its value, in order, all or nothing: the writes of an outermost
   * scope when its function has returned, or one assign made outside any scope.
   */
  commit(writes: readonly RecordedWrite<T>[]): void;
  /** Opens a scope (nested ones too), e.g. to collect the temporaries made inside it. */
  open?(): S;
  /** Closes a scope once it has ended: applied, joined to the outer one, or thrown. */
  close?(scope: S): void;
  /** Called for each write recorded in a scope (e.g. to keep its tensors alive until it is applied). */
  record?(write: RecordedWrite<T>): void;
  /** Called with recorded writes once they have been applied, or abandoned because their scope threw. */
  release?(writes: readonly RecordedWrite<T>[]): void;
  /** Runs an outermost scope's function and commit together, e.g. inside `tf.tidy`. Default: calls it. */
  enclose?(body: () => void): void;
}

interface Scope<T, S> {
  readonly state: S;
  readonly writes: RecordedWrite<T>[];
  readonly commits: Array<() => void>;
}

/**
 * The contract's `run` and `assign` for a synchronous backend.
 *
 * - {@link ImmediateExecution.run}: when a guard is given and one of its tensors holds NaN or ±Inf,
 *   nothing runs and it yields `false`. Otherwise `fn` runs at once; the assigns it makes are
 *   recorded and applied when the outermost scope's `fn` has returned (none if it throws), then
 *   the `onCommit` callbacks of that scope and of the scopes nested in it are called.
 * - A `run` inside another joins it: its assigns and `onCommit` become the outer scope's.
 * - {@link ImmediateExecution.assign} outside any scope is applied at once.
 */
export class ImmediateExecution<T, S = undefined> {
  readonly #engine: ImmediateEngine<T, S>;
  readonly #scopes: Scope<T, S>[] = [];

  constructor(engine: ImmediateEngine<T, S>) {
    this.#engine = engine;
  }

  /** Whether a scope is open (code runs inside a run's function). */
  get recording(): boolean {
    return this.#scopes.length > 0;
  }

  /** Records `target ← value` in the innermost scope; outside one it is applied at once. */
  assign(target: T, value: T): void {
    const scope = this.#scopes[this.#scopes.length - 1];
    if (scope === undefined) {
      this.#engine.commit([{ target, value }]);
      return;
    }
    const write = { target, value };
    this.#engine.record?.(write);
    scope.writes.push(write);
  }

  /** The contract's `run` (see the class documentation). */
  run(fn: () => void, options: RunOptions<T> = {}): boolean {
    const { guard, onCommit } = options;
    if (guard !== undefined && guard.length > 0 && !this.#engine.allFinite(guard)) return false;
    const outer = this.#scopes[this.#scopes.length - 1];
    const scope: Scope<T, S> = { state: this.#engine.open?.() as S, writes: [], commits: onCommit === undefined ? [] : [onCommit] };
    let joined = false;
    const body = (): void => {
      this.#scopes.push(scope);
      try {
        fn();
      } finally {
        this.#scopes.pop();
      }
      if (outer !== undefined) {
        outer.writes.push(...scope.writes);
        outer.commits.push(...scope.commits);
        joined = true;
        return;
      }
      this.#engine.commit(scope.writes);
    };
    try {
      if (outer === undefined && this.#engine.enclose !== undefined) this.#engine.enclose(body);
      else body();
    } finally {
      this.#engine.close?.(scope.state);
      if (!joined) this.#engine.release?.(scope.writes);
    }
    if (outer === undefined) for (const commit of scope.commits) commit();
    return true;
  }
}
