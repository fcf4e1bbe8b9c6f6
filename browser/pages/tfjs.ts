/**
 * @lmo/tfjs in the browser: ScionOptimizer.applyGradients on tfjs's cpu, wasm, webgl and webgpu
 * backends, against @lmo/core's reference backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
// Registers 'webgpu' only if navigator.gpu exists when it is imported.
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// The wasm binaries are bundled (hashed assets served with the page), never fetched from a CDN.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { ScionOptimizer } from '@lmo/tfjs';
import { compareWithReference, exposeParityPage, log, messageOf, type BackendAvailability } from '../src/parity/page.js';
import { LR, MOMENTUM, PARAMS, STEPS, gradients, groups, initialWeights, schedule } from '../src/parity/problem.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;

/** Why a backend cannot run here, checked before tfjs tries (tfjs only logs a warning). */
async function precondition(backend: string): Promise<string | undefined> {
  if (backend === 'webgl' && !document.createElement('canvas').getContext('webgl2')) return 'this browser gives no WebGL2 context';
  if (backend === 'webgpu') {
    if (!('gpu' in navigator)) return 'this browser exposes no navigator.gpu (WebGPU is off; Chromium needs --enable-unsafe-webgpu without a GPU)';
    const gpu = (navigator as Navigator & { gpu: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) return 'navigator.gpu.requestAdapter() returned null: no WebGPU adapter';
  }
  if (tf.findBackendFactory(backend) === null) return `tfjs has no '${backend}' backend registered`;
  return undefined;
}

async function activate(backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs could not initialise its '${backend}' backend`);
  await tf.ready();
}

/** What is running: the WebGL renderer, the WebGPU adapter, or the wasm flavour. */
function detail(backend: string): string {
  const env = tf.env();
  if (backend === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown renderer';
    return `${renderer}; float32 render targets: ${String(env.getBool('WEBGL_RENDER_FLOAT32_ENABLED'))}`;
  }
  if (backend === 'webgpu') {
    const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    return `adapter: ${info?.vendor ?? '?'} / ${info?.architecture ?? '?'}; nonFinite: 'ignore'`;
  }
  if (backend === 'wasm') return `SIMD: ${String(env.getBool('WASM_HAS_SIMD_SUPPORT'))}, threads: ${String(env.getBool('WASM_HAS_MULTITHREAD_SUPPORT'))}`;
  return 'JavaScript kernels';
}

exposeParityPage({
  adapter: 'tfjs',
  async availability() {
    const out: BackendAvailability[] = [];
    for (const backend of BACKENDS) {
      let reason = await precondition(backend);
      if (reason === undefined) {
        try {
          await activate(backend);
        } catch (e) {
          reason = messageOf(e);
        }
      }
      out.push(reason === undefined ? { backend, available: true } : { backend, available: false, reason });
    }
    return out;
  },
  async run(backend) {
    await activate(backend);
    const before = tf.memory().numTensors;
    const init = initialWeights();
    const vars = new Map(
      PARAMS.map((p) => {
        const value = tf.tensor(init.get(p.name)!, [...p.shape]);
        const variable = tf.variable(value, true, p.name);
        value.dispose();
        return [p.name, variable] as const;
      }),
    );
    const optimizer = new ScionOptimizer({
      lr: LR,
      momentum: MOMENTUM,
      schedule: schedule(),
      groups: groups(),
      // The NaN/Inf check reads one number back synchronously (dataSync) every step. tfjs-webgpu
      // implements dataSync through an OffscreenCanvas copy which, in headless Chromium on
      // SwiftShader, returns zeros and then loses the device; 'ignore' skips the read.
      nonFinite: backend === 'webgpu' ? 'ignore' : 'throw',
    });
    const start = performance.now();
    for (let t = 0; t < STEPS; t++) {
      const g = gradients(t);
      const grads = Object.fromEntries(PARAMS.map((p) => [p.name, tf.tensor(g.get(p.name)!, [...p.shape])] as const));
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    }
    const final = new Map<string, Float32Array>();
    for (const [name, v] of vars) final.set(name, (await v.data()) as Float32Array);
    const ms = performance.now() - start;
    optimizer.dispose();
    tf.dispose([...vars.values()]);
    const leaked = tf.memory().numTensors - before;
    const { errors, maxError } = compareWithReference(final);
    log(`${backend}: max relative error ${maxError.toExponential(2)}, ${ms.toFixed(0)} ms`);
    return { adapter: 'tfjs', backend, detail: detail(backend), steps: STEPS, errors, maxError, leaked, ms };
  },
});
