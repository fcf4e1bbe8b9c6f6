/**
 * Which gpu.js modes run on this machine. Unavailable modes are skipped, the reason in the test name.
 * `LMO_GPUJS_MODES=cpu,webasm` restricts the list.
 */
import { probeMode } from '../src/index.js';
import type { GpujsBackendOptions, GpujsMode } from '../src/index.js';
import { webgpuOptions } from './webgpu.js';

export interface ModeCase {
  readonly mode: GpujsMode;
  readonly available: boolean;
  readonly reason: string;
  readonly options: GpujsBackendOptions;
  /**
   * A GPU mode emulated in software (webgpu over Dawn's GL-compat adapter on Mesa llvmpipe): run,
   * but with shorter loops (set `LMO_GPUJS_FULL=1` for the full lengths).
   */
  readonly slow: boolean;
}

/** Whether to run the full-length tests on emulated GPU modes too. */
export const FULL = process.env.LMO_GPUJS_FULL === '1';

const ALL: readonly GpujsMode[] = ['cpu', 'webasm', 'headlessgl', 'webgpu'];

async function resolve(): Promise<ModeCase[]> {
  const wanted = process.env.LMO_GPUJS_MODES?.split(',').map((s) => s.trim()) ?? ALL;
  const cases: ModeCase[] = [];
  for (const mode of ALL) {
    if (!wanted.includes(mode)) {
      cases.push({ mode, available: false, reason: 'excluded by LMO_GPUJS_MODES', options: { mode }, slow: false });
      continue;
    }
    let options: GpujsBackendOptions = { mode };
    let slow = false;
    if (mode === 'webgpu') {
      const w = await webgpuOptions();
      if ('reason' in w) {
        cases.push({ mode, available: false, reason: w.reason, options, slow: false });
        continue;
      }
      options = w.options;
      slow = w.adapter.startsWith('opengles');
    }
    // headless-gl renders through Xvfb's software GL wherever it builds without a GPU
    if (mode === 'headlessgl') slow = true;
    const probe = await probeMode(mode, options);
    cases.push({ mode, available: probe.available, reason: probe.reason ?? '', options, slow });
  }
  return cases;
}

let cached: Promise<ModeCase[]> | undefined;
export function modes(): Promise<ModeCase[]> {
  cached ??= resolve();
  return cached;
}
