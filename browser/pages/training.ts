/**
 * @lmo/onnxruntime/web trains a PyTorch-exported GPT in the browser: createOnnxTrainer builds its
 * gradient graph and onnxruntime-web runs it (wasm, and webgpu where the browser has it), with
 * core's unconstrainedScion and transformerGroups(). The losses are PyTorch's reference Scion's.
 */
import { transformerGroups, unconstrainedScion } from '@lmo/core';
import * as ort from 'onnxruntime-web';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { createOnnxTrainer, loadOnnxModel, onnxBackend } from '@lmo/onnxruntime/web';
import modelUrl from '../../adapters/onnxruntime/test/fixtures/torch/gpt/model.onnx?url';
import batchesUrl from '../../adapters/onnxruntime/test/fixtures/torch/gpt/batches.safetensors?url';
import reference from '../../adapters/onnxruntime/test/fixtures/torch/gpt/uscg-losses.json';
import { readSafetensors, type TrainingPage } from '../src/training/page.js';

ort.env.wasm.wasmPaths = { wasm: ortWasm };

async function whyNot(provider: string): Promise<string | undefined> {
  if (provider !== 'webgpu') return undefined;
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'this browser exposes no navigator.gpu (WebGPU is off)';
  if (!(await gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() returned null: no WebGPU adapter';
  return undefined;
}

const page: TrainingPage = {
  async availability() {
    return Promise.all(['wasm', 'webgpu'].map(async (provider) => {
      const reason = await whyNot(provider);
      return { provider, available: reason === undefined, ...(reason ? { reason } : {}) };
    }));
  },
  async run(provider, steps) {
    const batches = readSafetensors(await (await fetch(batchesUrl)).arrayBuffer());
    const [, B, T] = batches.get('idx')!.shape as [number, number, number];
    const slice = (name: string, s: number) => (batches.get(name)!.data as BigInt64Array).subarray(s * B * T, (s + 1) * B * T);
    const backend = onnxBackend({ executionProviders: [provider] });
    const trainer = await createOnnxTrainer(await loadOnnxModel(modelUrl), {
      trainable: '*',
      loss: 'loss',
      optimizer: (params, b) => unconstrainedScion(b, params, { lr: reference.lr, momentum: reference.momentum, groups: transformerGroups() }),
      backend,
    });
    const started = performance.now();
    const losses: number[] = [];
    try {
      for (let s = 0; s < steps; s++) losses.push(await trainer.step({ idx: slice('idx', s), targets: slice('targets', s) }));
    } finally {
      await trainer.dispose();
      await backend.close();
    }
    const ms = performance.now() - started;
    const expected = reference.losses.slice(0, steps);
    const maxError = Math.max(...losses.map((l, i) => Math.abs(l - expected[i]!) / Math.abs(expected[i]!)));
    return {
      provider,
      losses,
      reference: expected,
      maxError: Number.isFinite(maxError) ? maxError : Infinity,
      sessionsLeft: backend.sessionCount,
      detail: `onnxruntime-web ${ort.env.versions.web ?? '?'} ${provider}: ${steps} steps in ${ms.toFixed(0)} ms, loss ${losses[0]!.toFixed(4)} → ${losses.at(-1)!.toFixed(4)}`,
    };
  },
};

window.lmoTraining = page;
document.body.dataset.ready = 'true';
