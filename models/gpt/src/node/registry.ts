import type { ModelBackend } from '../model.js';
import type { GPTConfig } from '../config.js';
import { UsageError, isModuleNotFound } from '../errors.js';
import { webgpuNavigatorOptions } from './dawn.js';
import { activateTfjs } from './tfjs-engine.js';

/** The model backends this benchmark has. */
export const BACKENDS = ['reference', 'tfjs-wasm', 'tfjs-cpu', 'onnxruntime', 'gpujs-cpu', 'gpujs-webasm', 'gpujs-webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The default backend: the fastest measured on a 2-core CPU machine (see the README's speed table). */
export const DEFAULT_BACKEND: BackendName = 'onnxruntime';

export function isBackendName(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}

/** Loads a backend module; a missing package becomes a {@link UsageError} with `notInstalled` as its message. */
async function importBackend<M>(load: () => Promise<M>, notInstalled: string): Promise<M> {
  try {
    return await load();
  } catch (e) {
    if (isModuleNotFound(e)) throw new UsageError(notInstalled);
    throw e;
  }
}

/**
 * Builds a model backend. tfjs is loaded only when asked for, so the reference backend works
 * without it and a missing engine package is reported as a usage error naming the package.
 */
export async function createModelBackend(name: string, config: GPTConfig): Promise<ModelBackend<unknown>> {
  if (!isBackendName(name)) throw new UsageError(`unknown backend "${name}" (choose one of: ${BACKENDS.join(', ')})`);
  if (name === 'reference') {
    const { ReferenceModelBackend } = await import('../reference/backend.js');
    return new ReferenceModelBackend(config) as ModelBackend<unknown>;
  }
  if (name.startsWith('gpujs-')) return createGpujsModel(name.slice('gpujs-'.length) as 'cpu' | 'webasm' | 'webgpu', config);
  if (name === 'onnxruntime') {
    const ortMod = await importBackend(
      () => import('../onnxruntime/backend.js'),
      'backend onnxruntime needs onnxruntime-node, which is not installed: run `ONNXRUNTIME_NODE_INSTALL=skip pnpm add onnxruntime-node`',
    );
    return (await ortMod.OnnxModelBackend.create(config)) as ModelBackend<unknown>;
  }
  const engine = name === 'tfjs-cpu' ? 'cpu' : 'wasm';
  const tf = await activateTfjs(engine);
  const { TfjsModelBackend } = await import('../tfjs/backend.js');
  return new TfjsModelBackend(tf, config, name) as ModelBackend<unknown>;
}

/**
 * The gpu.js model backend in `mode`. gpu.js is loaded only when asked for; a missing package, or a
 * GPU mode that does not probe available here (webgpu needs a `navigator.gpu`), is a usage error.
 */
async function createGpujsModel(mode: 'cpu' | 'webasm' | 'webgpu', config: GPTConfig): Promise<ModelBackend<unknown>> {
  const mod = await importBackend(
    () => import('../gpujs/backend.js'),
    `backend gpujs-${mode} needs gpu.js and @lmo/gpujs, which are not installed: run \`pnpm --filter @lmo/gpt add gpu.js@2.24.1\``,
  );
  try {
    const options = mode === 'webgpu' ? await webgpuNavigatorOptions() : {};
    return (await mod.GpujsModelBackend.create(mode, config, options)) as ModelBackend<unknown>;
  } catch (e) {
    if (mode !== 'cpu' && mode !== 'webasm') throw new UsageError(`backend gpujs-${mode}: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}
