import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The tfjs backends the tests run on. webgpu needs a GPU (see {@link WEBGPU_SKIP_REASON}). */
export const ENGINES = ['cpu', 'wasm'] as const;
export type Engine = (typeof ENGINES)[number];

/** Why the webgpu backend is not exercised by this suite. */
export const WEBGPU_SKIP_REASON =
  'tfjs-backend-webgpu needs navigator.gpu (a WebGPU adapter); this CI machine has no GPU and no WebGPU runtime';

let wasmConfigured = false;

/** Loads the wasm binary from node_modules (offline), single-threaded (threads do not work in Node). */
function configureWasm(): void {
  if (wasmConfigured) return;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${join(dist)}/`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasmConfigured = true;
}

/** Makes `engine` the active tfjs backend (awaits wasm's compilation). */
export async function useEngine(engine: Engine): Promise<void> {
  if (engine === 'wasm') configureWasm();
  const ok = await tf.setBackend(engine);
  if (!ok || tf.getBackend() !== engine) throw new Error(`could not activate the tfjs ${engine} backend`);
  await tf.ready();
}

/** Silences tfjs's "install tfjs-node" banner in test output. */
tf.env().set('IS_TEST', true);
