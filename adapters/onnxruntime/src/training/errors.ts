// The errors of ONNX training, as LmoErrors with one-line messages.
// Internal.

import { LmoError, type LmoErrorCode } from '@lmo/core';

/** `onnx training: …` with a code. */
export function trainingError(code: LmoErrorCode, message: string, cause?: unknown): LmoError {
  const error = new LmoError(code, `onnx training: ${message}`);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** A file that is not a usable ONNX model (truncated, malformed, incomplete). */
export function invalidModel(message: string, cause?: unknown): LmoError {
  return trainingError('BACKEND', `invalid ONNX model: ${message}`, cause);
}

/** A node, attribute, opset or form the gradient builder has no rule for. */
export class Unsupported extends Error {
  override readonly name = 'Unsupported';
}

/** `a, b, c` or `a, b, … (n in all)` for long lists. */
export function listNames(names: readonly string[], max = 6): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')}, … (${names.length} in all)`;
}
