/** Whether an object implements the tensor contract, with a message that names what is missing. */
import { LmoError } from '../errors.js';
import type { TensorBackend } from './contract.js';

/** The members every backend has: its name and mode, and every primitive. */
const MEMBERS = [
  'isTensor', 'fromArray', 'read', 'shape', 'zerosLike', 'reshape', 'transpose', 'add', 'sub', 'mul', 'div', 'scale', 'addScalar',
  'axpby', 'sign', 'sqrt', 'abs', 'sumSquares', 'maxAbs', 'allFinite', 'matmul', 'assign', 'dispose', 'run',
] as const;

/**
 * Throws a `BACKEND` {@link LmoError} unless `backend` implements the tensor contract, naming the
 * members it lacks (a backend written for an earlier contract typically lacks `mode` and `isTensor`).
 */
export function requireBackend<T>(backend: unknown): asserts backend is TensorBackend<T> {
  if (backend === null || typeof backend !== 'object') {
    throw new LmoError('BACKEND', `backend must be a TensorBackend (e.g. referenceBackend from @lmo/core/reference), got ${backend === null ? 'null' : typeof backend}`);
  }
  const b = backend as Record<string, unknown>;
  const missing: string[] = [];
  if (typeof b['name'] !== 'string') missing.push('name (a string)');
  if (b['mode'] !== 'sync' && b['mode'] !== 'async') missing.push(`mode ('sync' or 'async'${b['mode'] === undefined ? '' : `, got ${JSON.stringify(b['mode'])}`})`);
  for (const m of MEMBERS) if (typeof b[m] !== 'function') missing.push(`${m}()`);
  if (missing.length > 0) {
    const name = typeof b['name'] === 'string' ? `"${b['name']}" ` : '';
    throw new LmoError(
      'BACKEND',
      `backend ${name}does not implement the tensor contract: it lacks ${missing.join(', ')} (a backend written for lmo 0.1 needs mode and isTensor, and run(fn, { guard, onCommit }); see the migration guide)`,
    );
  }
}
