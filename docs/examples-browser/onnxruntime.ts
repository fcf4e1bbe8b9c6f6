import * as ort from 'onnxruntime-web';
// The binary onnxruntime-web's default bundle loads, as an asset of your build (served with the site).
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { onnxBackend } from '@lmo/onnxruntime/web'; // never imports onnxruntime-node
import { scionSteps } from './scion-steps.js';

ort.env.wasm.wasmPaths = { wasm: ortWasm };

/** Scion steps traced into one ONNX graph and run by onnxruntime-web's wasm provider. */
export async function scionOnOnnxWeb(steps = 5) {
  const backend = onnxBackend(); // executionProviders: ['wasm'] by default
  const params = await scionSteps(backend, steps); // one InferenceSession, compiled on the first step
  const gain = await backend.read(params['ln.weight']);
  const sessions = backend.stats.sessionsCreated;
  await backend.close(); // release the sessions
  return { gain, sessions };
}
