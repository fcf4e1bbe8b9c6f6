import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { UsageError, isModuleNotFound } from '../errors.js';

/** The tfjs backends this benchmark runs on (webgpu would need a GPU; tfjs-node cannot be installed here). */
export const TFJS_ENGINES = ['cpu', 'wasm'] as const;
export type TfjsEngine = (typeof TFJS_ENGINES)[number];

const PACKAGES: Record<TfjsEngine, string> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
};

type Tf = typeof import('@tensorflow/tfjs-core');

export function missing(pkg: string, e: unknown): UsageError {
  return new UsageError(
    `backend needs ${pkg}, which is not installed (${(e as Error).message.split('\n')[0]}): ` +
      `run \`pnpm --filter @lmo/gpt add ${pkg}@4.22.0\``,
  );
}

/** Imports an engine package; a missing one becomes a usage error naming it and how to install it. */
export async function importOr<M>(pkg: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (e) {
    if (isModuleNotFound(e)) throw missing(pkg, e);
    throw e;
  }
}

/**
 * Loads tfjs-core with every gradient registered (tf.grads needs them) and activates `engine`.
 * The wasm binary is read from the installed package (offline), single-threaded (threads do not
 * work in Node).
 */
export async function activateTfjs(engine: TfjsEngine): Promise<Tf> {
  const tf = await importOr('@tensorflow/tfjs-core', () => import('@tensorflow/tfjs-core'));
  // IS_TEST keeps tfjs-backend-cpu from printing its "install tfjs-node" banner; it is switched off
  // again below (it also turns on tfjs' per-kernel leak checks).
  tf.env().set('IS_TEST', true);
  // tf.grads needs every op's gradient registered. tfjs-core's own register_all_gradients entry is
  // ESM-only source that Node cannot load; the umbrella package's Node bundle registers the same
  // gradients into tfjs' global registry.
  await importOr('@tensorflow/tfjs', () => import('@tensorflow/tfjs'));
  if (engine === 'cpu') {
    await importOr(PACKAGES.cpu, () => import('@tensorflow/tfjs-backend-cpu'));
  } else {
    const wasm = await importOr(PACKAGES.wasm, () => import('@tensorflow/tfjs-backend-wasm'));
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve(PACKAGES.wasm))}/`);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  const ok = await tf.setBackend(engine);
  await tf.ready();
  // tfjs-backend-cpu prints its banner on the first tensor write, not on registration: write one now.
  tf.tensor1d([0]).dispose();
  tf.env().set('IS_TEST', false);
  if (!ok || tf.getBackend() !== engine) throw new UsageError(`could not start the tfjs ${engine} backend`);
  return tf;
}
