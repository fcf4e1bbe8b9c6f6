/**
 * `@lmo/gpt/node`: the GPT's engines by name in Node, each loaded when asked for (a missing engine
 * package is a usage error naming it), with what Node needs of them (tfjs's wasm binary read from
 * the installed package, a `navigator.gpu` from Dawn for gpu.js's webgpu mode); the corpus, found
 * on this machine or downloaded; the memory a training step of a model shape needs on an engine.
 */
export { BACKENDS, DEFAULT_BACKEND, createModel, isBackendName, type BackendName } from './registry.js';
export { activateTfjs, importOr, TFJS_ENGINES, type TfjsEngine } from './tfjs-engine.js';
export { vulkanLoaderPresent, webgpuNavigatorOptions } from './dawn.js';
export { locateCorpus, prepareCorpus, SHAKESPEARE_URL, type CorpusFingerprint, type CorpusLookup, type CorpusSource, type Prepared } from './corpus.js';
export { checkFits, stepMemory } from './memory.js';
