import * as ort from 'onnxruntime-web';
// The binary onnxruntime-web's default bundle loads, as an asset of your build (served with the site).
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { Random, biasRMS, scion, spectral } from '@lmo/core';
import { onnxBackend } from '@lmo/onnxruntime/web'; // never imports onnxruntime-node

ort.env.wasm.wasmPaths = { wasm: ortWasm };

/** Scion steps traced into one ONNX graph and run by onnxruntime-web's wasm provider. */
export async function scionOnOnnxWeb(steps = 5) {
  const backend = onnxBackend(); // executionProviders: ['wasm'] by default
  const rng = new Random(0);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const params = { 'mlp.weight': backend.fromArray(randn(64 * 32), [64, 32]), 'ln.weight': backend.fromArray(new Float32Array(32).fill(1), [32]) };
  const optimizer = scion(backend, params, {
    lr: 2 ** -6,
    groups: [
      { match: 'mlp.*', norm: spectral(), scale: 3 },
      { match: 'ln.*', norm: biasRMS(), scale: 3 },
    ],
  });
  for (let step = 0; step < steps; step++) {
    const grads = { 'mlp.weight': backend.fromArray(randn(64 * 32), [64, 32]), 'ln.weight': backend.fromArray(randn(32), [32]) };
    await optimizer.step(grads); // compiled to an InferenceSession on the first step, then reused
  }
  const gain = await backend.read(params['ln.weight']);
  const sessions = backend.stats.sessionsCreated;
  await backend.close(); // release the sessions
  return { gain, sessions };
}
