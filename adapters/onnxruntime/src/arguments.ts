/**
 * The onnxruntime backend's checks of its arguments: shapes, storage dtypes, rounding seeds and
 * Newton–Schulz coefficients, each failing with an `LmoError` that names the call.
 * Internal.
 */
import { LmoError, type Shape, type StorageDtype } from '@lmo/core';
import { STORAGE_DTYPES, isStorageDtype, type GramSide, type PolynomialCoefficients } from '@lmo/core/backend';
import { backendError, describe } from './execution.js';
import type { OnnxTensor, OpAttributes } from './graph/nodes.js';

export function shapeError(message: string): LmoError {
  return new LmoError('SHAPE_MISMATCH', `onnxruntime backend: ${message}`);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function require2d(x: OnnxTensor, op: string): readonly [number, number] {
  if (x.shape.length !== 2) throw shapeError(`${op} expects a 2-D tensor, got ${describe(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}

export function checkDtype(dtype: unknown, op: string): asserts dtype is StorageDtype {
  if (!isStorageDtype(dtype)) throw backendError(`${op}: dtype must be one of ${STORAGE_DTYPES.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dtype)}`);
}

/** The attributes of `storage.round`'s `Round` node, checked. */
export function roundAttributes(dtype: unknown, seed: unknown): OpAttributes {
  checkDtype(dtype, 'storage.round');
  if (seed === undefined) return { round: { dtype } };
  if (typeof seed !== 'number' || !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new LmoError('INVALID_HYPERPARAMETER', `onnxruntime backend: storage.round: seed must be an integer in [0, 2³²), got ${String(seed)}`);
  }
  return { round: { dtype, seed } };
}

/** `fused.newtonSchulz`'s side and coefficient triples, checked. */
export function newtonSchulzSteps(coefficients: readonly PolynomialCoefficients[], side: GramSide): Array<readonly [number, number, number]> {
  if (side !== 'left' && side !== 'right') throw backendError(`newtonSchulz: side must be "left" or "right", got ${String(side)}`);
  return coefficients.map((t, k) => {
    if (t.length !== 3 || !t.every(Number.isFinite)) throw backendError(`newtonSchulz: coefficients[${k}] must be three finite numbers`);
    return [t[0], t[1], t[2]] as const;
  });
}
