/**
 * Every error lmo raises on purpose is an {@link LmoError} with a stable {@link LmoErrorCode}, a
 * message that names the parameter (or option) at fault and what was expected.
 */
export type LmoErrorCode =
  /** A hyperparameter (lr, momentum, scale, steps, …) is out of range or not a finite number. */
  | 'INVALID_HYPERPARAMETER'
  /** A norm name or norm options are not known. */
  | 'UNKNOWN_NORM'
  /** A norm cannot handle a parameter's shape (e.g. Spectral on a 1-D bias). */
  | 'UNSUPPORTED_SHAPE'
  /** A gradient's shape differs from its parameter's. */
  | 'SHAPE_MISMATCH'
  /** A parameter has no gradient in `step()`. */
  | 'MISSING_GRADIENT'
  /** A gradient or name was given for a parameter the optimizer does not know. */
  | 'UNKNOWN_PARAMETER'
  /** A parameter matches no group, or more than one, or a group matches nothing. */
  | 'GROUP_ROUTING'
  /** A gradient contains NaN or ±Inf (with the default `nonFinite: 'throw'` policy). */
  | 'NON_FINITE_GRADIENT'
  /** A saved optimizer state does not match this optimizer's parameters or version. */
  | 'STATE_MISMATCH'
  /** Bytes that are not a valid safetensors file, or tensors and metadata that cannot be written as one. */
  | 'INVALID_SAFETENSORS'
  /** A checkpoint that fails a checksum or is not one (`decodeCheckpoint`), or that cannot be written (`encodeCheckpoint`). */
  | 'INVALID_CHECKPOINT'
  /** A backend does not implement something the caller asked for. */
  | 'BACKEND'
  /** A file could not be written (`@lmo/core/node`'s `writeFileAtomic`): the previous file is unchanged. */
  | 'WRITE_FAILED'
  /** A lock is held by a live process (`@lmo/core/node`'s `acquireLock`). */
  | 'LOCKED';

/** The error type of lmo. Check `code` rather than parsing the message. */
export class LmoError extends Error {
  override readonly name = 'LmoError';
  constructor(
    readonly code: LmoErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A value as an error message shows it, without ever throwing: `String(value)` throws for objects
 * whose `toString` is not a function (`{ "toString": "" }` parsed from a file, say), and would turn
 * a bad option into a `TypeError` instead of the {@link LmoError} that names it.
 */
export function shown(value: unknown): string {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
  try {
    return String(value);
  } catch {
    try {
      return JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
}
