/**
 * `@lmo/core`: norm-constrained LMO optimizers (Scion, uSCG, SCG, ScionLight; Muon, signSGD and
 * normalized SGD as special cases) and nanoGPT's AdamW, written once over a tensor contract. This
 * entry point is the user's: norms, optimizers and presets, schedules, state and errors. Backend
 * authors find the rest of the contract in `@lmo/core/backend`; the reference backend is
 * `@lmo/core/reference`, the conformance suite `@lmo/core/testing`.
 *
 * @packageDocumentation
 * @module @lmo/core
 */
export type { ExecutionMode, Result, Shape, TensorBackend } from './backend/contract.js';
export { LmoError, type LmoErrorCode } from './errors.js';
export { Random } from './random.js';
export type { Norm } from './norms/norm.js';
export { sign, signUnscaled } from './norms/sign.js';
export { spectral, type SpectralOptions } from './norms/spectral.js';
export { colNorm } from './norms/col-norm.js';
export { rowNorm } from './norms/row-norm.js';
export { biasRMS } from './norms/bias-rms.js';
export { spectralConv } from './norms/spectral-conv.js';
export { frobenius } from './norms/frobenius.js';
export { auto } from './norms/auto.js';
export { muonNorm } from './norms/muon.js';
export { transposed } from './norms/transposed.js';
export { registerNorm, normFromJSON, normToJSON } from './norms/registry.js';
export type { OrthogonalizationMethod } from './orthogonalize/plan.js';
export { constant, cosineDecay, linearDecay, linearWarmup, product, sequence, warmupCosine, warmupStableDecay, type Schedule } from './schedules/schedules.js';
export { scheduleFromJSON, scheduleToJSON, type ScheduleSpec } from './schedules/spec.js';
export { LmoOptimizer, createOptimizer, type LmoOptimizerOptions, type ParameterInfo } from './optimizer/optimizer.js';
export type { NamedTensors } from './optimizer/parameters.js';
export type { AdamWSettings, OptimizerOptions } from './optimizer/options.js';
export type { GroupSpec, Matcher } from './optimizer/groups.js';
export { muon, normalizedSGD, presetOptions, scion, scionLight, signSGD, unconstrainedScion, type PresetName, type PresetOptions } from './optimizer/presets.js';
export { adamw, type AdamWOptions } from './optimizer/adamw.js';
export { transformerGroups, type TransformerGroupsOptions } from './optimizer/transformer.js';
export { STATE_FORMAT, STATE_VERSION, type BufferName, type OptimizerState } from './optimizer/state.js';
export { stateFromJSON, stateToJSON } from './optimizer/state-json.js';
export { optionsFromJSON, optionsToJSON, type OptionsJSON } from './optimizer/options-json.js';
export * from './io/index.js';
export * from './io/torch-handoff/index.js';
