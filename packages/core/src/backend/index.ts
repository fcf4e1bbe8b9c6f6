/**
 * `@lmo/core/backend`: what backend and adapter authors need. The tensor contract
 * ({@link TensorBackend}) and its types; {@link DeferredExecution}, the queue-record-execute-commit
 * machinery of compiling backends; the update rule and its pieces, for adapters that plug lmo into
 * a framework's own optimizer class; orthogonalization plans for fused kernels; shape helpers.
 *
 * @packageDocumentation
 * @module @lmo/core/backend
 */
export type { Axis, ExecutionMode, FusedKernels, GramSide, MatmulOptions, MaybePromise, PolynomialCoefficients, Result, RunOptions, Shape, TensorBackend } from './contract.js';
export { andFinally, andThen, inMode } from './maybe.js';
export { DeferredExecution, type DeferredEngine, type Execution, type RecordedWrite } from './deferred.js';
export { ImmediateExecution, type ImmediateEngine } from './immediate.js';
export { formatShape, matrixView, sameShape, sizeOf } from '../shape.js';
export { ORTHOGONALIZATION_METHODS, POLAR_EXPRESS, POLAR_EXPRESS_RAW, POLAR_EXPRESS_SAFETY, QUINTIC, gramSide, orthogonalizationPlan, orthogonalize, polynomialSteps, type OrthogonalizationMethod, type OrthogonalizationPlan } from '../orthogonalize/index.js';
export { UpdateRule, applyWrites, type ParameterPlan, type UpdateItem, type Write } from '../update/rule.js';
export { accumulate, decay, ema, lmoStep } from '../update/transforms.js';
export { lmoDirections, type LmoRequest } from '../update/directions.js';
export { afterGuard } from '../update/finite.js';
export { asMatrix, asShape } from '../update/views.js';
export { GroupRouter, compileMatch, globToRegExp } from '../optimizer/groups.js';
export { resolveOptions, type ResolvedGroup, type ResolvedOptions } from '../optimizer/options.js';
