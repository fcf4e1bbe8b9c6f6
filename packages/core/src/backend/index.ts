/**
 * `@lmo/core/backend`: what backend and adapter authors need beyond `@lmo/core`'s
 * `TensorBackend`. The contract's types; the execution machinery of eager backends
 * ({@link ImmediateExecution}) and of compiling ones ({@link DeferredExecution}); helpers for
 * code that runs in both modes; shape helpers; the orthogonalization plan a fused kernel
 * carries out; and 16-bit storage's dtypes and rounding (to nearest even, and stochastic).
 *
 * @packageDocumentation
 * @module @lmo/core/backend
 */
export type { Axis, FusedKernels, GramSide, HostArrays, MatmulOptions, MaybePromise, PolynomialCoefficients, RunOptions, StorageDtype, StorageSupport } from './contract.js';
export { STORAGE_DTYPES, bytesPerElement, dtypeOf, isStorageDtype, requireFloat32 } from '../storage/dtypes.js';
export { decodeHalf, encodeHalf, roundNearest, roundStochastic, streamBits, type HalfDtype } from '../storage/rounding.js';
export { andThen, inMode } from './maybe.js';
export { DeferredExecution, type DeferredEngine, type Execution, type RecordedWrite } from './deferred.js';
export { ImmediateExecution, type ImmediateEngine } from './immediate.js';
export { formatShape, matrixView, sameShape, sizeOf } from '../shape.js';
export { orthogonalizationPlan, type OrthogonalizationPlan } from '../orthogonalize/plan.js';
