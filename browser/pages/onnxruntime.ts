/**
 * @lmo/onnxruntime/web in the browser: core's Scion traced into ONNX graphs and run by
 * onnxruntime-web, on its wasm and webgpu execution providers, against @lmo/core's reference.
 */
import * as ort from 'onnxruntime-web';
// onnxruntime-web's default bundle loads this binary (JSEP build: wasm, and webgpu through it).
// Imported as an asset and handed to ort.env, it is served with the page, never from a CDN.
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import { onnxBackend } from '@lmo/onnxruntime/web';
import { exposeParityPage, messageOf, scionOnBackend, storageOf } from '../src/parity/page.js';
import { STORAGE_RUNS } from '../src/parity/problem.js';

ort.env.wasm.wasmPaths = { wasm: ortWasm };

const PROVIDERS = ['wasm', 'webgpu'] as const;
type Provider = (typeof PROVIDERS)[number];
/** Each provider in float32, then with each 16-bit configuration: `wasm`, …, `wasm:bfloat16+kahan`, …. */
const BACKENDS = [...PROVIDERS, ...PROVIDERS.flatMap((p) => Object.keys(STORAGE_RUNS).map((s) => `${p}:${s}`))];
const providerOf = (backend: string): Provider => backend.split(':')[0] as Provider;

/** A two-element graph through the provider, in float32: does it run here? */
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
  backends: BACKENDS,
  // a 16-bit run needs only the provider: a dtype it refuses fails the run, it is not skipped
  whyNot: (backend) => probe(providerOf(backend)),
  async run(backend) {
    const provider = providerOf(backend);
    const b = onnxBackend({ executionProviders: [provider] });
    const { final, ms } = await scionOnBackend(b, storageOf(backend));
    const { sessionsCreated, runs } = b.stats;
    await b.close();
    const detail = `onnxruntime-web ${ort.env.versions.web ?? '?'} ${provider}: ${sessionsCreated} session(s) compiled, ${runs} runs`;
    return { final, ms, detail, leaked: b.sessionCount };
  },
});
