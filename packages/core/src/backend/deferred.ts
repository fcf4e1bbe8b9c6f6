/**
 * The execution machinery of an asynchronous (compiling) backend, written once: the call-order
 * queue, recording scopes with their assigns, nested runs, guards, and applying a scope's writes
 * only after the engine has computed all of them. An engine plugs in how it computes (trace and
 * run an ONNX graph, launch recorded GPU kernels).
 */
import type { RunOptions } from './contract.js';

/** A recorded assign: `target` is to hold `value`'s contents. */
export interface RecordedWrite<T> {
  readonly target: T;
  readonly value: T;
}

/** The outcome of executing a scope. */
export interface Execution {
  /** Whether every guard tensor was all finite. */
  readonly finite: boolean;
  /** Makes every write's target hold its computed value. Synchronous; called only when `finite`. */
  commit(): void;
}

/** What a compiling engine provides to {@link DeferredExecution}. `S` is its own per-scope bookkeeping. */
export interface DeferredEngine<T, S = undefined> {
  /** Opens a recording scope (e.g. to collect its temporaries). */
  open(): S;
  /**
   * Computes what a scope recorded: the values of `writes` and whether the `guard` tensors are all
   * finite (the guard may be checked first, skipping the rest when it fails). Nothing observable
   * may change before `commit`.
   */
  execute(writes: readonly RecordedWrite<T>[], guard: readonly T[], scope: S): Promise<Execution>;
  /** Releases a scope's temporaries: after it executed, failed, or its function threw. */
  close(scope: S): void;
}

interface Scope<T, S> {
  readonly engine: S;
  readonly writes: RecordedWrite<T>[];
  readonly guard: T[];
  readonly onCommit: Array<() => void>;
  /** Nested runs waiting on this scope: told whether it was applied, or why it failed. */
  readonly joined: Array<{ resolve(applied: boolean): void; reject(error: unknown): void }>;
}

/**
 * Runs an engine's scopes in call order.
 *
 * - {@link DeferredExecution.run}: queued; when its turn comes (every earlier run and job has
 *   finished, their commits applied) `fn` is called to record, then the engine executes the scope,
 *   and only then are the writes applied (and `onCommit` called). If `fn` throws, the engine fails
 *   or the guard does not hold, nothing is written.
 * - A `run` called while another scope records joins it: its writes, guard and `onCommit` become
 *   the outer scope's, and its Promise settles with the outer one.
 * - {@link DeferredExecution.enqueue}: any other job (a read) in the same order.
 */
export class DeferredExecution<T, S = undefined> {
  readonly #engine: DeferredEngine<T, S>;
  #tail: Promise<unknown> = Promise.resolve();
  #scope: Scope<T, S> | null = null;
  #pending = 0;

  constructor(engine: DeferredEngine<T, S>) {
    this.#engine = engine;
  }

  /** Whether a scope is recording now (code runs inside a run's function). */
  get recording(): boolean {
    return this.#scope !== null;
  }

  /** Runs and jobs issued and not yet finished. */
  get pending(): number {
    return this.#pending;
  }

  /** The value recorded for `target` in the current scope, if it was assigned there. */
  recordedValue(target: T): T | undefined {
    const writes = this.#scope?.writes;
    if (writes === undefined) return undefined;
    for (let i = writes.length - 1; i >= 0; i--) if (writes[i]!.target === target) return writes[i]!.value;
    return undefined;
  }

  /** Records `target ← value` in the current scope; outside one it is a run of its own. */
  assign(target: T, value: T): void {
    if (this.#scope !== null) {
      this.#scope.writes.push({ target, value });
      return;
    }
    void this.run(() => this.assign(target, value)).catch(() => undefined);
  }

  /** Queues `job` after everything issued before it. */
  enqueue<V>(job: () => V | Promise<V>): Promise<V> {
    this.#pending++;
    const result = this.#tail.then(job);
    const settled = result.finally(() => {
      this.#pending--;
    });
    this.#tail = settled.catch(() => undefined);
    return result;
  }

  /** A promise settled once everything issued so far has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  /** The contract's `run` (see the class documentation). */
  run(fn: () => void, options: RunOptions<T> = {}): Promise<boolean> {
    const outer = this.#scope;
    if (outer !== null) {
      // Nested: record into the outer scope, settle with it.
      fn();
      outer.guard.push(...(options.guard ?? []));
      if (options.onCommit !== undefined) outer.onCommit.push(options.onCommit);
      return new Promise<boolean>((resolve, reject) => outer.joined.push({ resolve, reject }));
    }
    return this.enqueue(() => this.#runNow(fn, options));
  }

  async #runNow(fn: () => void, options: RunOptions<T>): Promise<boolean> {
    const scope: Scope<T, S> = {
      engine: this.#engine.open(),
      writes: [],
      guard: [...(options.guard ?? [])],
      onCommit: options.onCommit === undefined ? [] : [options.onCommit],
      joined: [],
    };
    try {
      this.#scope = scope;
      try {
        fn();
      } finally {
        this.#scope = null;
      }
      let applied = true;
      if (scope.writes.length > 0 || scope.guard.length > 0) {
        const execution = await this.#engine.execute(scope.writes, scope.guard, scope.engine);
        applied = execution.finite;
        if (applied) execution.commit();
      }
      if (applied) for (const f of scope.onCommit) f();
      for (const j of scope.joined) j.resolve(applied);
      return applied;
    } catch (error) {
      for (const j of scope.joined) j.reject(error);
      throw error;
    } finally {
      this.#engine.close(scope.engine);
    }
  }
}
