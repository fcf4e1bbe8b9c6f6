import type { MaybePromise, TensorBackend } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import type { NonFinitePolicy } from './options.js';

/**
 * What a step does once its guard (every gradient finite) has been checked: `'applied'`, or —
 * when the guard failed — `'skipped'` under the `'skip'` policy, or a `NON_FINITE_GRADIENT` error
 * naming the offending gradients under `'throw'`.
 */
export function afterGuard<T>(
  b: TensorBackend<T>,
  applied: boolean,
  policy: NonFinitePolicy,
  grads: ReadonlyArray<readonly [name: string, grad: T]>,
): MaybePromise<'applied' | 'skipped'> {
  if (applied) return 'applied';
  if (policy !== 'throw') return 'skipped';
  const checks = grads.map(([, g]) => b.allFinite([g]));
  const raise = (oks: readonly boolean[]): never => {
    const names = grads.flatMap(([name], i) => (oks[i] ? [] : [`"${name}"`]));
    throw new LmoError('NON_FINITE_GRADIENT', `a gradient contains NaN or Inf (in ${names.join(', ')}); nothing was updated`);
  };
  if (checks.some((c) => c instanceof Promise)) return Promise.all(checks).then(raise);
  return raise(checks as boolean[]);
}
