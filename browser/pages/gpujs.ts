/**
 * @lmo/gpujs in the browser: core's Scion on gpu.js kernels in the page (cpu, webasm, webgl,
 * webgl2, webgpu), against @lmo/core's reference backend.
 */
import { scion } from '@lmo/core';
import { createGpujsBackend, probeMode } from '@lmo/gpujs';
import { compareWithReference, exposeParityPage, log, type BackendAvailability } from '../src/parity/page.js';
import { LR, MOMENTUM, PARAMS, STEPS, gradients, groups, initialWeights, schedule } from '../src/parity/problem.js';

/** What can run in a page (`headlessgl` is headless-gl, a Node addon). */
const MODES = ['cpu', 'webasm', 'webgl', 'webgl2', 'webgpu'] as const;
type PageMode = (typeof MODES)[number];

function isMode(name: string): name is PageMode {
  return (MODES as readonly string[]).includes(name);
}

exposeParityPage({
  adapter: 'gpujs',
  async availability() {
    const out: BackendAvailability[] = [];
    for (const mode of MODES) {
      if (mode === 'webgpu' && !('gpu' in navigator)) {
        out.push({ backend: mode, available: false, reason: 'this browser exposes no navigator.gpu (WebGPU is off)' });
        continue;
      }
      if ((mode === 'webgl' || mode === 'webgl2') && !document.createElement('canvas').getContext(mode)) {
        out.push({ backend: mode, available: false, reason: `this browser gives no ${mode} context` });
        continue;
      }
      const probe = await probeMode(mode);
      out.push(probe.available ? { backend: mode, available: true } : { backend: mode, available: false, reason: probe.reason ?? 'unknown' });
    }
    return out;
  },
  async run(mode) {
    if (!isMode(mode)) throw new Error(`unknown gpu.js mode '${mode}' (expected one of ${MODES.join(', ')})`);
    const b = createGpujsBackend({ mode });
    const init = initialWeights();
    const params = new Map(PARAMS.map((p) => [p.name, b.fromArray(init.get(p.name)!, p.shape)] as const));
    const optimizer = scion(b, params, { lr: LR, momentum: MOMENTUM, schedule: schedule(), groups: groups() });
    const start = performance.now();
    for (let t = 0; t < STEPS; t++) {
      const g = gradients(t);
      const grads = new Map(PARAMS.map((p) => [p.name, b.fromArray(g.get(p.name)!, p.shape)] as const));
      await optimizer.step(grads); // a Promise in webgpu mode
      for (const x of grads.values()) b.dispose(x);
    }
    const final = new Map<string, Float32Array>();
    for (const [name, x] of params) final.set(name, Float32Array.from(await b.read(x)));
    const ms = performance.now() - start;
    optimizer.dispose();
    for (const x of params.values()) b.dispose(x);
    const stats = b.stats();
    b.destroy();
    const { errors, maxError } = compareWithReference(final);
    log(`${mode}: max relative error ${maxError.toExponential(2)}, ${ms.toFixed(0)} ms, ${stats.kernels} kernels`);
    return {
      adapter: 'gpujs',
      backend: mode,
      detail: `gpu.js ${mode}: ${stats.kernels} kernels compiled, ${stats.launches} launches`,
      steps: STEPS,
      errors,
      maxError,
      leaked: stats.liveTensors + stats.liveValues,
      ms,
    };
  },
});
