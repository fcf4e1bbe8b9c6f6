/**
 * `@lmo/core/reference`: the plain `Float32Array` backend — core's embedded default, the ground
 * truth of the tests, and a worked example of a {@link TensorBackend} implementation.
 *
 * @example
 * ```ts
 * import { referenceBackend, RefTensor } from '@lmo/core/reference';
 * const b = referenceBackend;
 * const w = b.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * const g = b.matmul(w, w, { transposeB: true });
 * ```
 * @packageDocumentation
 * @module @lmo/core/reference
 */
export { RefTensor } from './tensor.js';
export { matmul, type MatmulArrayOptions } from './matmul.js';
export { createReferenceBackend, referenceBackend, type ReferenceBackend, type ReferenceBackendOptions } from './backend.js';
