// The tfjs backends for a page, bundled with the app (Vite shown; webpack 5's `new URL(…, import.meta.url)` works the same way).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // autodiff: minimize, variableGrads
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu'; // registers 'webgpu' only when navigator.gpu exists
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// `?url` makes each binary a hashed asset of the build: served with your site, not from a CDN.
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasm,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded, // used only on a cross-origin-isolated page
});

/** Starts the first backend of `preferred` that works in this browser; returns its name. */
export async function pickBackend(preferred = ['webgpu', 'webgl', 'wasm']): Promise<string> {
  for (const name of preferred) {
    if (tf.findBackendFactory(name) === null) continue; // e.g. no navigator.gpu: webgpu never registered
    if (await tf.setBackend(name)) {
      await tf.ready();
      return name;
    }
  }
  throw new Error(`none of ${preferred.join(', ')} works in this browser`);
}
