/**
 * `@lmo/tfjs`: Scion, uSCG, ScionLight, Muon, signSGD and normalized SGD for TensorFlow.js, as a
 * `tf.Optimizer` for `optimizer.minimize`, `applyGradients` and `model.compile` + `model.fit`, on
 * any tfjs backend (cpu, wasm, webgl, webgpu, tfjs-node). The update is `@lmo/core`'s, run through
 * a binding of its tensor contract to `@tensorflow/tfjs-core`.
 *
 * @packageDocumentation
 * @module @lmo/tfjs
 */
export { createTfjsBackend, type TfTensor, type TfjsBackendOptions } from './backend.js';
export { ScionOptimizer, registerScionOptimizer, type TfjsParameterInfo } from './optimizer.js';
export type { ScionOptimizerOptions, TfjsGroupSpec } from './options.js';
export type { NamedTensor } from './weights.js';
export { scion, unconstrainedScion, scionLight, muon, signSGD, normalizedSGD, train, type TfjsPresetOptions } from './presets.js';
export { kerasConvNorm, normForLayout, resolveLayout, type Layout, type ResolvedLayout } from './layout.js';
export { canonicalName } from './names.js';
// The norms and schedules, so that one import is enough to configure an optimizer.
export { auto, biasRMS, colNorm, frobenius, muonNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, transformerGroups, transposed, warmupCosine, warmupStableDecay, cosineDecay, linearDecay, linearWarmup, constant, LmoError, type Norm, type Schedule, type ScheduleSpec } from '@lmo/core';
