import { biasRMS, scion, spectral } from '@lmo/core';
import * as ort from 'onnxruntime-web';
// The binary onnxruntime-web's default bundle loads, as an asset of your build (served with the site).
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { createOnnxTrainer, loadOnnxModel, onnxBackend } from '@lmo/onnxruntime/web'; // never imports onnxruntime-node

ort.env.wasm.wasmPaths = { wasm: ortWasm };

/**
 * Fine-tunes the MLP served at `url` on `batches` in the page (onnxruntime-web: `'wasm'`, or
 * `'webgpu'` where the browser has it), and returns the losses and the trained ONNX file.
 */
export async function fineTuneInBrowser(url: string, batches: ReadonlyArray<{ x: Float32Array; targets: Float32Array }>, provider = 'wasm') {
  const backend = onnxBackend({ executionProviders: [provider] });
  const trainer = await createOnnxTrainer(await loadOnnxModel(url), {
    trainable: '*',
    loss: { meanSquaredError: 'y' },
    optimizer: (params, b) => scion(b, params, { lr: 0.02, groups: [{ match: '*.bias', norm: biasRMS(), scale: 1 }, { norm: spectral(), scale: 3 }] }),
    backend,
  });
  const losses: number[] = [];
  for (const batch of batches) losses.push(await trainer.step(batch));
  const trained = await trainer.exportModel(); // an .onnx file: offer it as a download, or keep it in IndexedDB
  await trainer.dispose();
  await backend.close();
  return { losses, trained };
}
