/**
 * `@lmo/tfjs`: Scion, uSCG, ScionLight, Muon, signSGD and normalized SGD for TensorFlow.js, as a
 * `tf.Optimizer` for `optimizer.minimize`, `applyGradients` and `model.compile` + `model.fit`, on
 * any tfjs backend (cpu, wasm, webgl, webgpu, tfjs-node). The optimizer is `@lmo/core`'s, run
 * through a binding of its tensor contract to `@tensorflow/tfjs-core`; norms, schedules and groups
 * come from `@lmo/core`.
 *
 * @packageDocumentation
 * @module @lmo/tfjs
 */
export { createTfjsBackend, type TfTensor, type TfjsBackendOptions } from './backend.js';
export { ScionOptimizer, registerScionOptimizer, type TfjsParameterInfo } from './optimizer.js';
export type { ScionOptimizerOptions, TfjsGroupSpec } from './options.js';
export type { NamedTensor } from './weights.js';
export { train, type TfjsPresetOptions } from './presets.js';
export type { Layout, ResolvedLayout } from './layout.js';
