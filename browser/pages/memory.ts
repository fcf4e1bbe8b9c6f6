/**
 * The memory experiment's page (memory/run.ts drives it; not part of the browser tests): trains a
 * GPT that PyTorch exported with createOnnxTrainer on onnxruntime-web's wasm backend for a few
 * steps (batch 1), with AdamW in float32 or ScionLight with weights and G in bfloat16, and reports
 * where the memory went: each WebAssembly memory's size after every phase (a wasm memory only
 * grows, so its last size is its peak) and the JS heap (performance.memory, Chromium).
 */
import { adamw, scionLight, signUnscaled, type LmoOptimizer } from '@lmo/core';
import * as ort from 'onnxruntime-web';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { createOnnxTrainer, loadOnnxModel, onnxBackend, type OnnxBackend, type OnnxModel, type OnnxTensor } from '@lmo/onnxruntime/web';
import type { MemoryPage, MemoryRun, Phase } from '../memory/page.js';

ort.env.wasm.wasmPaths = { wasm: ortWasm };
ort.env.wasm.numThreads = 1;

type Params = ReadonlyMap<string, OnnxTensor>;
const OPTIMIZERS: Readonly<Record<MemoryRun['optimizer'], { dtype: 'float32' | 'bfloat16'; make: (p: Params, b: OnnxBackend) => LmoOptimizer<OnnxTensor> }>> = {
  'adamw-float32': { dtype: 'float32', make: (p, b) => adamw(b, p, { lr: 1e-4 }) },
  'scionlight-bfloat16': { dtype: 'bfloat16', make: (p, b) => scionLight(b, p, { lr: 2 ** -10, norm: signUnscaled(), unconstrained: true, bufferDtype: 'bfloat16' }) },
  'scionlight-bfloat16-kahan': { dtype: 'bfloat16', make: (p, b) => scionLight(b, p, { lr: 2 ** -10, norm: signUnscaled(), unconstrained: true, bufferDtype: 'bfloat16', compensation: 'kahan' }) },
};

/** Every WebAssembly memory's size now (MiB), by the order it was made (the init script collects them). */
function wasmMiB(): number[] {
  return (window.lmoWasmMemories ?? []).map((m) => Math.round(m.buffer.byteLength / 2 ** 20));
}

function heapMiB(): number {
  const m = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return m === undefined ? NaN : Math.round(m.usedJSHeapSize / 2 ** 20);
}

const page: MemoryPage = {
  async run(spec) {
    const phases: Phase[] = [];
    const mark = (name: string, ms: number): void => void phases.push({ name, ms: Math.round(ms), wasmMiB: wasmMiB(), heapMiB: heapMiB() });
    let t = performance.now();
    const lap = (): number => -t + (t = performance.now());
    const { dtype, make } = OPTIMIZERS[spec.optimizer];
    const backend = onnxBackend({ executionProviders: ['wasm'], ...(spec.cpuArena ? {} : { sessionOptions: { enableCpuMemArena: false } }) });
    let model: OnnxModel | undefined = await loadOnnxModel(spec.modelUrl);
    mark('model fetched', lap());
    const trainer = await createOnnxTrainer(model, { trainable: '*', loss: 'loss', dtype, backend, optimizer: make });
    model = undefined; // the trainer keeps no copy of the weights' bytes: dropping the model frees them
    mark('trainer made', lap());
    const n = [...trainer.parameters.values()].reduce((s, p) => s + p.shape.reduce((a, d) => a * d, 1), 0);
    const T = trainer.inputs.find((i) => i.name === 'idx')!.shape.reduce((a, d) => a * d, 1);
    const tokens = (k: number): BigInt64Array => BigInt64Array.from({ length: T }, (_, i) => BigInt((i * 7 + k * 13) % 65));
    const losses: number[] = [];
    for (let s = 0; s < spec.steps; s++) {
      losses.push(await trainer.step({ idx: tokens(s), targets: tokens(s + 1) }));
      mark(`step ${s + 1}`, lap());
    }
    const persistentBytes = trainer.optimizer.parameterBytes + trainer.optimizer.ownedBytes + (trainer.accumulates ? 0 : 4 * n);
    await trainer.dispose();
    await backend.close();
    return { parameters: n, persistentBytesPerParameter: persistentBytes / n, losses, phases, ort: ort.env.versions.web ?? '?' };
  },
};

window.lmoMemory = page;
document.body.dataset.ready = 'true';
