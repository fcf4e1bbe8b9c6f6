/**
 * @lmo/gpujs in the browser: core's Scion on gpu.js kernels in the page (cpu, webasm, webgl,
 * webgl2, webgpu), against @lmo/core's reference backend.
 */
import { createGpujsBackend, probeMode, type GpujsMode } from '@lmo/gpujs';
import { exposeParityPage, scionOnBackend } from '../src/parity/page.js';

/** What can run in a page (`headlessgl` is headless-gl, a Node addon). */
const MODES = ['cpu', 'webasm', 'webgl', 'webgl2', 'webgpu'] as const satisfies readonly GpujsMode[];

exposeParityPage({
  adapter: 'gpujs',
  backends: MODES,
  async whyNot(name) {
    const mode = name as GpujsMode;
    if (mode === 'webgpu' && !('gpu' in navigator)) return 'this browser exposes no navigator.gpu (WebGPU is off)';
    if ((mode === 'webgl' || mode === 'webgl2') && !document.createElement('canvas').getContext(mode)) return `this browser gives no ${mode} context`;
    const probe = await probeMode(mode);
    return probe.available ? undefined : (probe.reason ?? 'unknown');
  },
  async run(name) {
    const mode = name as GpujsMode;
    const b = createGpujsBackend({ mode });
    const { final, ms } = await scionOnBackend(b);
    const stats = b.stats();
    b.destroy();
    return { final, ms, detail: `gpu.js ${mode}: ${stats.kernels} kernels compiled, ${stats.launches} launches`, leaked: stats.liveTensors + stats.liveValues };
  },
});
