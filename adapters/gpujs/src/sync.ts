/**
 * Execution in the synchronous modes (`cpu`, `webasm` and the GL modes): every kernel runs when its
 * primitive is called; `run` scopes (core's `ImmediateExecution`) collect temporaries and assigns,
 * and apply the assigns when the outermost scope ends (the reference backend's semantics).
 */
import { LmoError } from '@lmo/core';
import { ImmediateExecution, type RunOptions } from '@lmo/core/backend';
import { nonFiniteCount } from './primitives.js';
import { storageOf, valueOf, type Checked, type Execution, type Runtime, type Task } from './runtime.js';
import type { GpujsTensor, Storage } from './tensor.js';
import { stageWrites, type StorageWrite } from './writes.js';

export class SyncExecution implements Execution {
  readonly #rt: Runtime;
  /** Scopes over storages; each scope owns the temporaries made while it is the innermost. */
  readonly #scopes: ImmediateExecution<Storage, Set<GpujsTensor>>;
  readonly #temps: Array<Set<GpujsTensor>> = [];

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#scopes = new ImmediateExecution<Storage, Set<GpujsTensor>>({
      allFinite: () => true, // checked by run() on the guard's shapes
      commit: (writes) => this.#apply(writes),
      open: () => {
        const temps = new Set<GpujsTensor>();
        this.#temps.push(temps);
        return temps;
      },
      close: (temps) => {
        this.#temps.splice(this.#temps.lastIndexOf(temps), 1);
        for (const t of temps) this.#rt.free(t);
      },
      // a recorded write holds a reference to both storages until it is applied or dropped
      record: ({ target, value }) => {
        target.refs++;
        value.refs++;
      },
      release: (writes) => {
        for (const { target, value } of writes) {
          this.#rt.unref(target);
          this.#rt.unref(value);
        }
      },
    });
  }

  schedule(task: Task): void {
    if (task() instanceof Promise) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: an asynchronous kernel in a synchronous mode');
  }

  temps(): Set<GpujsTensor> | undefined {
    return this.#temps[this.#temps.length - 1];
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
    this.#scopes.assign(target, value);
  }

  #apply(writes: readonly StorageWrite[]): void {
    const staged = stageWrites(this.#rt.engine, writes);
    if (staged instanceof Promise) throw new LmoError('BACKEND', '@lmo/gpujs: internal error: an asynchronous copy in a synchronous mode');
    staged.commit();
  }

  run(fn: () => void, options: RunOptions<GpujsTensor>, guard: readonly Checked[]): boolean {
    if (guard.length > 0 && !this.allFinite(guard)) return false;
    const { onCommit } = options;
    return this.#scopes.run(fn, onCommit === undefined ? {} : { onCommit });
  }
}
