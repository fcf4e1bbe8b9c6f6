import type { GptModel } from '../model.js';
import type { GPTConfig } from '../config.js';
import { UsageError, isModuleNotFound } from '../errors.js';
import { webgpuNavigatorOptions } from './dawn.js';
import { activateTfjs } from './tfjs-engine.js';

/** The engines the GPT runs on, by name. */
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
 * The GPT on engine `name`. Engines are loaded only when asked for, so the reference model works
 * without them and a missing engine package is reported as a usage error naming the package.
 */
export async function createModel(name: string, config: GPTConfig): Promise<GptModel<unknown>> {
  if (!isBackendName(name)) throw new UsageError(`unknown backend "${name}" (choose one of: ${BACKENDS.join(', ')})`);
  if (name === 'reference') {
    const { referenceGpt } = await import('../reference/backend.js');
    return referenceGpt(config) as GptModel<unknown>;
  }
  if (name.startsWith('gpujs-')) return createGpujsModel(name.slice('gpujs-'.length) as 'cpu' | 'webasm' | 'webgpu', config);
  if (name === 'onnxruntime') {
    const ortMod = await importBackend(
      () => import('../onnxruntime/backend.js'),
      'backend onnxruntime needs onnxruntime-node, which is not installed: run `ONNXRUNTIME_NODE_INSTALL=skip pnpm add onnxruntime-node`',
    );
    return ortMod.onnxGpt(config) as GptModel<unknown>;
  }
  const engine = name === 'tfjs-cpu' ? 'cpu' : 'wasm';
  const tf = await activateTfjs(engine);
  const { tfjsGpt } = await import('../tfjs/backend.js');
  return tfjsGpt(tf, config, name) as GptModel<unknown>;
}

/**
 * The gpu.js model in `mode`. gpu.js is loaded only when asked for; a missing package, or a
 * GPU mode that does not probe available here (webgpu needs a `navigator.gpu`), is a usage error.
 */
async function createGpujsModel(mode: 'cpu' | 'webasm' | 'webgpu', config: GPTConfig): Promise<GptModel<unknown>> {
  const mod = await importBackend(
    () => import('../gpujs/backend.js'),
    `backend gpujs-${mode} needs gpu.js and @lmo/gpujs, which are not installed: run \`pnpm --filter @lmo/gpt add gpu.js@2.24.1\``,
  );
  try {
    const options = mode === 'webgpu' ? await webgpuNavigatorOptions() : {};
    return (await mod.gpujsGpt(mode, config, options)) as GptModel<unknown>;
  } catch (e) {
    if (mode !== 'cpu' && mode !== 'webasm') throw new UsageError(`backend gpujs-${mode}: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}
