/**
 * Test helpers around the reference backend: building tensors, reading them back, snapshots of an
 * optimizer's whole observable state, a spy that counts writes, and an asynchronous test double.
 */
import type { ExecutionMode, Shape, TensorBackend } from '../../src/backend/contract.js';
import { DeferredExecution } from '../../src/backend/deferred.js';
import type { LmoOptimizer } from '../../src/optimizer/optimizer.js';
import type { OptimizerState } from '../../src/optimizer/state.js';
import { referenceBackend, type RefTensor } from '../../src/reference/index.js';

export const ref = referenceBackend;

/** A persistent reference tensor holding `data` (rounded to float32). */
export function tensor(data: ArrayLike<number>, shape: Shape): RefTensor {
  return ref.fromArray(Float32Array.from(data), shape);
}

/** The float32 values of a reference tensor as plain numbers. */
export function values(x: RefTensor): number[] {
  return Array.from(ref.read(x) as Float32Array);
}

/** A deep, comparable copy of a state (Float32Arrays become number arrays). */
export function plainState(state: OptimizerState): unknown {
  return {
    ...state,
    parameters: state.parameters.map((p) => ({ ...p, shape: [...p.shape], buffers: p.buffers === undefined ? undefined : Object.fromEntries(Object.entries(p.buffers).map(([k, v]) => [k, Array.from(v!)])) })),
  };
}

/** Everything observable about an optimizer and its parameters: state, step counters, parameter values. */
export interface Snapshot {
  readonly state: unknown;
  readonly stepCount: number;
  readonly skippedSteps: number;
  readonly params: Record<string, number[]>;
}

export async function snapshot<T>(
  opt: LmoOptimizer<T, ExecutionMode>,
  params: Readonly<Record<string, T>>,
  backend: TensorBackend<T>,
  extra: Readonly<Record<string, T>> = {},
): Promise<Snapshot> {
  const state = await opt.getState();
  const out: Record<string, number[]> = {};
  for (const [name, p] of Object.entries({ ...params, ...extra })) out[name] = Array.from(await backend.read(p));
  return { state: plainState(state), stepCount: opt.stepCount, skippedSteps: opt.skippedSteps, params: out };
}

/** Wraps a backend and counts the calls that write or allocate persistent memory. */
export function spy<T, M extends ExecutionMode>(inner: TensorBackend<T, M>): { backend: TensorBackend<T, M>; counts: { assign: number; zerosLike: number; run: number } } {
  const counts = { assign: 0, zerosLike: 0, run: 0 };
  const backend: TensorBackend<T, M> = {
    ...inner,
    assign(target, value) {
      counts.assign++;
      inner.assign(target, value);
    },
    zerosLike(x) {
      counts.zerosLike++;
      return inner.zerosLike(x);
    },
    run(fn, options) {
      counts.run++;
      return inner.run(fn, options);
    },
  };
  return { backend, counts };
}

/** Resolves after the current macrotask, so that callers really have to await. */
function later<V>(f: () => V): Promise<V> {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      try {
        resolve(f());
      } catch (e) {
        reject(e);
      }
    }, 0);
  });
}

/** A test double of a compiling backend over an eager one. */
export interface AsyncDouble<T> {
  readonly backend: TensorBackend<T, 'async'>;
  /** The next `run` rejects with `error` when it executes, applying none of its writes. */
  failNextRun(error: Error): void;
  /** How many runs executed and applied their writes. */
  readonly completedRuns: number;
}

/**
 * Like a compiling backend, on core's `DeferredExecution`: runs and reads are queued in call
 * order; a run's function records its assigns (its arithmetic is computed eagerly by `inner`) and
 * they are applied a macrotask later, only if "execution" succeeds and the guard holds.
 */
export function asyncBackend<T>(inner: TensorBackend<T, 'sync'>): AsyncDouble<T> {
  let failure: Error | undefined;
  let completed = 0;
  const deferred = new DeferredExecution<T>({
    open: () => undefined,
    close: () => {},
    execute: (writes, guard) =>
      later(() => {
        const fail = failure;
        failure = undefined;
        if (fail) throw fail;
        return {
          finite: inner.allFinite(guard),
          commit() {
            for (const { target, value } of writes) inner.assign(target, value);
            completed++;
          },
        };
      }),
  });
  const { host: _host, ...eager } = inner;
  void _host;
  const disposed = new Set<T>();
  const backend: TensorBackend<T, 'async'> = {
    ...eager,
    mode: 'async',
    isTensor: (x): x is T => inner.isTensor(x) && !disposed.has(x),
    // in call order, like every other effect of an asynchronous backend
    dispose: (x) => {
      if (deferred.pending > 0) void deferred.enqueue(() => void disposed.add(x));
      else disposed.add(x);
    },
    name: `async(${inner.name})`,
    read: (x) => deferred.enqueue(() => later(() => inner.read(x))),
    allFinite: (xs) => deferred.enqueue(() => later(() => inner.allFinite(xs))),
    assign: (target, value) => deferred.assign(target, value),
    run: (fn, options) => deferred.run(fn, options),
  };
  return {
    backend,
    failNextRun(error) {
      failure = error;
    },
    get completedRuns() {
      return completed;
    },
  };
}

/** Runs `f` and returns the error it throws (or the rejection of the Promise it returns). */
export async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, but nothing was thrown');
}
