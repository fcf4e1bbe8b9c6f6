/**
 * `@lmo/core`: norm-constrained LMO optimizers (Scion, uSCG, SCG, ScionLight; Muon, signSGD and
 * normalized SGD as special cases) written once over a tensor contract. This entry point is the
 * user's: norms, optimizers and presets, schedules, state and errors. Backend authors find the
 * contract in `@lmo/core/backend`; the reference backend is `@lmo/core/reference`.
 *
 * @packageDocumentation
 * @module @lmo/core
 */
export type { ExecutionMode, Result, Shape, TensorBackend } from './backend/contract.js';
export { LmoError, type LmoErrorCode } from './errors.js';
export { Random } from './random.js';
export * from './norms/index.js';
export type { OrthogonalizationMethod } from './orthogonalize/plan.js';
export * from './schedules/index.js';
export { LmoOptimizer, createOptimizer, type LmoOptimizerOptions, type NamedTensors, type ParameterInfo } from './optimizer/optimizer.js';
export type { NonFinitePolicy, OptimizerOptions } from './optimizer/options.js';
export type { GroupSpec, Matcher } from './optimizer/groups.js';
export { STATE_FORMAT, STATE_VERSION, type OptimizerState, type ParameterState } from './optimizer/state.js';
export { stateFromJSON, stateToJSON } from './optimizer/state-json.js';
export { optionsFromJSON, optionsToJSON, type GroupJSON, type MatcherJSON, type OptionsJSON } from './optimizer/options-json.js';
export { muon, normalizedSGD, scion, scionLight, signSGD, unconstrainedScion, type PresetOptions } from './optimizer/presets.js';
export { transformerGroups, type TransformerGroupsOptions, type TransformerRadii } from './optimizer/transformer.js';
export * from './io/index.js';
