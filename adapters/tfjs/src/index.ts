/**
 * `@lmo/tfjs`: Scion, uSCG, ScionLight, Muon, signSGD and normalized SGD for TensorFlow.js, as a
 * `tf.Optimizer` for `optimizer.minimize`, `applyGradients` and `model.compile` + `model.fit`, on
 * any tfjs backend (tfjs-node-gpu, tfjs-node, wasm, cpu, webgl, webgpu). The math is `@lmo/core`'s,
 * run through a binding of its tensor contract to `@tensorflow/tfjs-core`.
 *
 * @packageDocumentation
 */
export { createTfjsBackend, type TfTensor, type TfjsBackendOptions } from './backend.js';
export { tfjsNewtonSchulz } from './newton-schulz.js';
export { ScionOptimizer, registerScionOptimizer, type NamedTensor, type ScionOptimizerOptions, type TfjsParameterInfo } from './optimizer.js';
export { scion, unconstrainedScion, scionLight, muon, signSGD, normalizedSGD, train, type TfjsPresetOptions } from './presets.js';
export { GroupRouter, type TfjsGroupSpec } from './groups.js';
export { kerasConvNorm, normForLayout, resolveLayout, type Layout, type ResolvedLayout } from './layout.js';
export { canonicalName } from './names.js';
export { scheduleFromSpec, type ScheduleSpec } from './schedule-spec.js';
export { normFromConfig, normToConfig } from './config.js';
// The norms, so that one import is enough to configure groups.
export {
  auto,
  biasRMS,
  colNorm,
  frobenius,
  muonNorm,
  rowNorm,
  sign,
  signUnscaled,
  spectral,
  spectralConv,
  transposed,
  LmoError,
  type Norm,
} from '@lmo/core';
