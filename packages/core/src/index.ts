/**
 * `@lmo/core`: norm-constrained LMO optimizers (Scion, uSCG, SCG, ScionLight; Muon, signSGD and
 * normalized SGD as special cases) written once over the {@link TensorBackend} contract.
 *
 * @packageDocumentation
 */
export { andThen, type Axis, type FusedKernels, type MatmulOptions, type MaybePromise, type NewtonSchulzCoefficients, type Shape, type TensorBackend } from './backend.js';
export { LmoError, type LmoErrorCode } from './errors.js';
export { formatShape, sameShape, sizeOf } from './shape.js';
export { Random } from './random.js';
export * from './norms/index.js';
export * from './schedules/index.js';
export {
  LmoOptimizer,
  createOptimizer,
  type NamedTensors,
  type NonFinitePolicy,
  type OptimizerOptions,
  type ParameterInfo,
} from './optimizer/optimizer.js';
export { compileMatch, globToRegExp, routeParameters, type GroupSpec, type Matcher } from './optimizer/groups.js';
export {
  STATE_FORMAT,
  STATE_VERSION,
  stateFromJSON,
  stateToJSON,
  type OptimizerState,
  type ParameterState,
} from './optimizer/state.js';
export {
  muon,
  muonNorm,
  normalizedSGD,
  scion,
  scionLight,
  signSGD,
  unconstrainedScion,
  type PresetOptions,
} from './optimizer/presets.js';
