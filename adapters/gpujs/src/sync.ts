/**
 * Execution in the synchronous modes (`cpu`, `webasm` and the GL modes): every kernel runs when its
 * primitive is called; `run` scopes collect temporaries and assigns, and apply the assigns when
 * the outermost scope ends (the reference backend's semantics).
 */
import { LmoError } from '@lmo/core';
import type { RunOptions } from '@lmo/core/backend';
import { nonFiniteCount } from './primitives.js';
import { storageOf, valueOf, type Checked, type Execution, type Runtime, type Task } from './runtime.js';
import type { GpujsTensor, Storage } from './tensor.js';
import { stageWrites, type StorageWrite } from './writes.js';

interface Scope {
  readonly temps: Set<GpujsTensor>;
  /** Assigns to apply when the outermost scope ends; each holds a reference to both storages. */
  readonly writes: StorageWrite[];
  readonly commits: Array<() => void>;
}

export class SyncExecution implements Execution {
  readonly #rt: Runtime;
  readonly #scopes: Scope[] = [];

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  schedule(task: Task): void {
    if (task() instanceof Promise) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: an asynchronous kernel in a synchronous mode');
  }

  temps(): Set<GpujsTensor> | undefined {
    return this.#scopes[this.#scopes.length - 1]?.temps;
  }

  release(s: Storage): void {
    this.#rt.releaseNow(s);
  }

  /** The values of `s`. */
  read(s: Storage): Float32Array {
    if (s.empty) return new Float32Array(0);
    return this.#rt.engine.download(valueOf(s), s.size) as Float32Array;
  }

  allFinite(xs: readonly Checked[]): boolean {
    const count = nonFiniteCount(this.#rt, xs);
    if (count === undefined) return true;
    try {
      return this.read(storageOf(count))[0] === 0;
    } finally {
      this.#rt.free(count);
    }
  }

  assign(target: Storage, value: Storage): void {
    const scope = this.#scopes[this.#scopes.length - 1];
    if (scope === undefined) {
      this.#apply([{ target, value }]);
      return;
    }
    target.refs++;
    value.refs++;
    scope.writes.push({ target, value });
  }

  #apply(writes: readonly StorageWrite[]): void {
    const staged = stageWrites(this.#rt.engine, writes);
    if (staged instanceof Promise) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: an asynchronous copy in a synchronous mode');
    staged.commit();
  }

  #drop(writes: readonly StorageWrite[]): void {
    for (const { target, value } of writes) {
      this.#rt.unref(target);
      this.#rt.unref(value);
    }
  }

  run(fn: () => void, options: RunOptions<GpujsTensor>, guard: readonly Checked[]): boolean {
    if (guard.length > 0 && !this.allFinite(guard)) return false;
    const scope: Scope = { temps: new Set(), writes: [], commits: options.onCommit === undefined ? [] : [options.onCommit] };
    this.#scopes.push(scope);
    try {
      fn();
    } catch (error) {
      this.#scopes.pop();
      this.#close(scope);
      this.#drop(scope.writes);
      throw error;
    }
    this.#scopes.pop();
    const outer = this.#scopes[this.#scopes.length - 1];
    if (outer !== undefined) {
      // nested: applied with the outer scope
      outer.writes.push(...scope.writes);
      outer.commits.push(...scope.commits);
      this.#close(scope);
      return true;
    }
    try {
      this.#apply(scope.writes);
    } finally {
      this.#close(scope);
      this.#drop(scope.writes);
    }
    for (const commit of scope.commits) commit();
    return true;
  }

  #close(scope: Scope): void {
    for (const t of scope.temps) this.#rt.free(t);
  }
}
