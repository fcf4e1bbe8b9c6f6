/** Helpers for code that runs on synchronous and asynchronous backends alike. */
import type { MaybePromise } from './contract.js';

/** `then` for values that may or may not be Promises: stays synchronous when `v` is. */
export function andThen<A, B>(v: MaybePromise<A>, f: (a: A) => MaybePromise<B>): MaybePromise<B> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** Runs `cleanup` once `fn`'s (possibly asynchronous) result settles, success or failure. */
export function andFinally<V>(fn: () => MaybePromise<V>, cleanup: () => void): MaybePromise<V> {
  let result: MaybePromise<V>;
  try {
    result = fn();
  } catch (error) {
    cleanup();
    throw error;
  }
  if (result instanceof Promise) return result.finally(cleanup);
  cleanup();
  return result;
}

/**
 * Calls `fn` the way a backend of the given mode reports: on `'sync'` its result or exception as
 * is; on `'async'` always a Promise, so that every error arrives as a rejection.
 */
export function inMode<V>(mode: 'sync' | 'async', fn: () => MaybePromise<V>): MaybePromise<V> {
  if (mode === 'sync') return fn();
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}
