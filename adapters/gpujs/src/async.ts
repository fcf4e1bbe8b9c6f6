/**
 * Execution in the `webgpu` mode, whose kernels return Promises, on core's `DeferredExecution`:
 * primitives called inside a `run` record their launches in the scope; when the run's turn comes
 * the scope executes them in order, checks the guard, stages the assigns and commits. What is
 * gpu.js's own is kept here: the launch list of a scope and when device memory may be freed.
 */
import { DeferredExecution, type Execution as Executed, type RecordedWrite, type RunOptions } from '@lmo/core/backend';
import { nonFiniteCount } from './primitives.js';
import { storageOf, valueOf, type Checked, type Execution, type Runtime, type Task } from './runtime.js';
import { tensorState, type GpujsTensor, type Storage } from './tensor.js';
import { stageWrites } from './writes.js';

/** A scope's device work and what it frees. */
interface Scope {
  readonly tasks: Array<{ readonly run: Task; readonly keep: boolean; done: boolean }>;
  readonly temps: Set<GpujsTensor>;
  /** Memory freed while the scope recorded: its launches may still read it. */
  readonly releases: Storage[];
}

function newScope(): Scope {
  return { tasks: [], temps: new Set(), releases: [] };
}

function checked(t: GpujsTensor): Checked {
  return { storage: tensorState(t)!.storage, shape: t.shape };
}

export class AsyncExecution implements Execution {
  readonly #rt: Runtime;
  readonly #deferred: DeferredExecution<GpujsTensor, Scope>;
  /** The scope `DeferredExecution` opened last (recording while `#deferred.recording`). */
  #recording: Scope | null = null;
  /** Work a job builds for itself (the guard's and `allFinite`'s reductions). */
  #building: Scope | null = null;

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#deferred = new DeferredExecution<GpujsTensor, Scope>({
      open: () => (this.#recording = newScope()),
      execute: (writes, guard, scope) => this.#execute(writes, guard, scope),
      close: (scope) => this.#close(scope),
    });
  }

  /** Where device work goes now: the recording scope, a job's own list, or (`null`) a job of its own. */
  #current(): Scope | null {
    return this.#deferred.recording ? this.#recording : this.#building;
  }

  schedule(task: Task, keep: boolean): void {
    const scope = this.#current();
    if (scope !== null) scope.tasks.push({ run: task, keep, done: false });
    // outside a scope: in call order; a failure surfaces where the result is used
    else void this.#deferred.enqueue(task).catch(() => undefined);
  }

  temps(): Set<GpujsTensor> | undefined {
    return this.#current()?.temps;
  }

  release(s: Storage): void {
    const scope = this.#current();
    if (scope !== null) scope.releases.push(s);
    else if (this.#deferred.pending > 0) void this.#deferred.enqueue(() => this.#rt.releaseNow(s));
    else this.#rt.releaseNow(s);
  }

  /** Calls `fn` once everything issued so far has finished (at once when nothing is pending). */
  inTurn(fn: () => void): void {
    if (this.#deferred.pending > 0 || this.#deferred.recording) void this.#deferred.enqueue(fn);
    else fn();
  }

  read(s: Storage): Promise<Float32Array> {
    return this.#deferred.enqueue(() => (s.empty ? new Float32Array(0) : this.#rt.engine.download(valueOf(s), s.size)));
  }

  allFinite(xs: readonly Checked[]): Promise<boolean> {
    return this.#deferred.enqueue(() => this.#finite(xs));
  }

  assign(target: GpujsTensor, value: GpujsTensor): void {
    this.#deferred.assign(target, value);
  }

  run(fn: () => void, options: RunOptions<GpujsTensor>): Promise<boolean> {
    return this.#deferred.run(fn, options);
  }

  async #runTasks(scope: Scope): Promise<void> {
    for (const task of scope.tasks) {
      task.done = true;
      await task.run();
    }
  }

  async #execute(writes: readonly RecordedWrite<GpujsTensor>[], guard: readonly GpujsTensor[], scope: Scope): Promise<Executed> {
    await this.#runTasks(scope);
    if (guard.length > 0 && !(await this.#finite(guard.map(checked)))) return { finite: false, commit() {} };
    const staged = await stageWrites(
      this.#rt.engine,
      writes.map((w) => ({ target: storageOf(w.target), value: storageOf(w.value) })),
    );
    return { finite: true, commit: () => staged.commit() };
  }

  /** Whether `xs` hold no NaN or ±Inf: their count of non-finite values, computed and read here. */
  async #finite(xs: readonly Checked[]): Promise<boolean> {
    const scope = newScope();
    this.#building = scope;
    let count: GpujsTensor | undefined;
    try {
      count = nonFiniteCount(this.#rt, xs);
    } finally {
      this.#building = null;
    }
    try {
      await this.#runTasks(scope);
      if (count === undefined) return true;
      const v = await this.#rt.engine.download(valueOf(storageOf(count)), 1);
      return v[0] === 0;
    } finally {
      if (count !== undefined) this.#rt.free(count, true);
      for (const s of scope.releases) this.#rt.releaseNow(s);
    }
  }

  #close(scope: Scope): void {
    if (this.#recording === scope) this.#recording = null;
    // uploads into persistent tensors of a scope that did not execute: still due, in order
    for (const task of scope.tasks) if (task.keep && !task.done) void this.#deferred.enqueue(task.run).catch(() => undefined);
    const free = (): void => {
      for (const t of scope.temps) this.#rt.free(t, true);
      for (const s of scope.releases) this.#rt.releaseNow(s);
    };
    // jobs issued while the scope recorded (a read inside the run) may read its memory: free after them
    if (this.#deferred.pending > 1) void this.#deferred.enqueue(free);
    else free();
  }
}
