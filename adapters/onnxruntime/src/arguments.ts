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

export function checkDtype(dtype: unknown, op: string, stored: readonly StorageDtype[] = STORAGE_DTYPES, providers = ''): asserts dtype is StorageDtype {
  if (!isStorageDtype(dtype)) throw backendError(`${op}: dtype must be one of ${STORAGE_DTYPES.map((d) => `"${d}"`).join(', ')}, got ${JSON.stringify(dtype)}`);
  if (!stored.includes(dtype)) {
    throw backendError(`${op}: this backend (${providers}) stores ${stored.map((d) => `"${d}"`).join(', ')} only, not "${dtype}": 16-bit storage is for the cpu (onnxruntime-node) and wasm (onnxruntime-web) execution providers`);
  }
}

/**
 * The execution providers whose 16-bit storage is known to compute right. onnxruntime-web's webgpu
 * provider is not among them: its bfloat16 casts give wrong values and its float16 shaders need a
 * WebGPU feature (`shader-f16`) that not every adapter has.
 */
const SIXTEEN_BIT_PROVIDERS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** The dtypes a backend on `providers` stores: float32 only unless every provider handles 16-bit storage. */
export function storedDtypes(providers: readonly string[]): readonly StorageDtype[] {
  return providers.every((p) => SIXTEEN_BIT_PROVIDERS.has(p)) ? STORAGE_DTYPES : ['float32'];
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
