/**
 * Storage dtypes: what a persistent tensor's values are kept in. Arithmetic is always float32; a
 * 16-bit tensor enters it widened exactly, and a write into one rounds (see `StorageSupport`).
 */
import type { StorageDtype, TensorBackend } from '../backend/contract.js';
import { LmoError } from '../errors.js';

/** Every storage dtype, float32 first. */
export const STORAGE_DTYPES: readonly StorageDtype[] = ['float32', 'bfloat16', 'float16'];

/** Whether `x` names a storage dtype. */
export function isStorageDtype(x: unknown): x is StorageDtype {
  return x === 'float32' || x === 'bfloat16' || x === 'float16';
}

/** Bytes per element: 4 for float32, 2 for bfloat16 and float16. */
export function bytesPerElement(dtype: StorageDtype): number {
  return dtype === 'float32' ? 4 : 2;
}

/** The dtypes `backend` stores: its `storage.dtypes`, or float32 alone. */
export function storedDtypes(backend: TensorBackend<unknown>): readonly StorageDtype[] {
  return backend.storage?.dtypes ?? ['float32'];
}

/** A tensor's storage dtype (`'float32'` on a backend without `storage`). */
export function dtypeOf<T>(backend: TensorBackend<T>, x: T): StorageDtype {
  return backend.storage?.dtype(x) ?? 'float32';
}

/**
 * Throws a `BACKEND` {@link LmoError} unless `dtype` is a storage dtype that `backend` declares
 * (never a silent float32 fallback). `what` names the option or call, e.g. `'bufferDtype'`.
 */
export function requireDtype(backend: TensorBackend<unknown>, dtype: unknown, what: string): asserts dtype is StorageDtype {
  if (!isStorageDtype(dtype)) {
    throw new LmoError('BACKEND', `${what} must be one of ${STORAGE_DTYPES.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dtype)}`);
  }
  const stored = storedDtypes(backend);
  if (!stored.includes(dtype)) {
    throw new LmoError(
      'BACKEND',
      `${what}: the ${backend.name} backend does not store ${dtype} (it stores ${stored.join(', ')}); 16-bit storage needs a backend that declares it in storage.dtypes, such as @lmo/core/reference or @lmo/onnxruntime`,
    );
  }
}

/**
 * For backends without 16-bit storage: throws a `BACKEND` {@link LmoError} when a caller asks
 * `fromArray` or `zerosLike` for anything but float32 (`undefined` means float32).
 */
export function requireFloat32(backendName: string, dtype: unknown, op: string): void {
  if (dtype === undefined || dtype === 'float32') return;
  throw new LmoError('BACKEND', `${backendName}: ${op} cannot store ${JSON.stringify(dtype)}: this backend stores float32 only (16-bit storage needs @lmo/core/reference or @lmo/onnxruntime)`);
}
