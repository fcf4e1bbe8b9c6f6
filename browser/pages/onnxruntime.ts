/**
 * @lmo/onnxruntime/web in the browser: core's Scion traced into ONNX graphs and run by
 * onnxruntime-web, on its wasm and webgpu execution providers, against @lmo/core's reference.
 */
import * as ort from 'onnxruntime-web';
// onnxruntime-web's default bundle loads this binary (JSEP build: wasm, and webgpu through it).
// Imported as an asset and handed to ort.env, it is served with the page, never from a CDN.
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { scion } from '@lmo/core';
import { onnxBackend } from '@lmo/onnxruntime/web';
import { compareWithReference, exposeParityPage, log, messageOf, type BackendAvailability } from '../src/parity/page.js';
import { LR, MOMENTUM, PARAMS, STEPS, gradients, groups, initialWeights, schedule } from '../src/parity/problem.js';

ort.env.wasm.wasmPaths = { wasm: ortWasm };
// onnxruntime logs warnings (e.g. shape ops placed on the CPU) through console.error; keep errors only.
ort.env.logLevel = 'error';

const PROVIDERS = ['wasm', 'webgpu'] as const;
type Provider = (typeof PROVIDERS)[number];

function isProvider(name: string): name is Provider {
  return (PROVIDERS as readonly string[]).includes(name);
}

/** A one-element graph through the provider: does it run here? */
async function probe(provider: Provider): Promise<string | undefined> {
  if (provider === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'this browser exposes no navigator.gpu (WebGPU is off)';
    if (!(await gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() returned null: no WebGPU adapter';
  }
  const b = onnxBackend({ executionProviders: [provider] });
  try {
    const x = b.fromArray(new Float32Array([3, 4]), [1, 2]);
    const s = await b.read(b.sumSquares(x));
    return s[0] === 25 ? undefined : `wrong result: ‖(3, 4)‖² = ${String(s[0])}`;
  } catch (e) {
    return messageOf(e);
  } finally {
    await b.close();
  }
}

exposeParityPage({
  adapter: 'onnxruntime',
  async availability() {
    const out: BackendAvailability[] = [];
    for (const provider of PROVIDERS) {
      const reason = await probe(provider);
      out.push(reason === undefined ? { backend: provider, available: true } : { backend: provider, available: false, reason });
    }
    return out;
  },
  async run(provider) {
    if (!isProvider(provider)) throw new Error(`unknown execution provider '${provider}' (expected one of ${PROVIDERS.join(', ')})`);
    const b = onnxBackend({ executionProviders: [provider] });
    const init = initialWeights();
    const params = new Map(PARAMS.map((p) => [p.name, b.fromArray(init.get(p.name)!, p.shape)] as const));
    const optimizer = scion(b, params, { lr: LR, momentum: MOMENTUM, schedule: schedule(), groups: groups() });
    const start = performance.now();
    for (let t = 0; t < STEPS; t++) {
      const g = gradients(t);
      await optimizer.step(new Map(PARAMS.map((p) => [p.name, b.fromArray(g.get(p.name)!, p.shape)] as const)));
    }
    const final = new Map<string, Float32Array>();
    for (const [name, x] of params) final.set(name, Float32Array.from(await b.read(x)));
    const ms = performance.now() - start;
    const { sessionsCreated, runs } = b.stats;
    optimizer.dispose();
    await b.close();
    const { errors, maxError } = compareWithReference(final);
    log(`${provider}: max relative error ${maxError.toExponential(2)}, ${ms.toFixed(0)} ms`);
    return {
      adapter: 'onnxruntime',
      backend: provider,
      detail: `onnxruntime-web ${ort.env.versions.web ?? '?'} ${provider}: ${sessionsCreated} session(s) compiled, ${runs} runs`,
      steps: STEPS,
      errors,
      maxError,
      leaked: b.sessionCount,
      ms,
    };
  },
});
