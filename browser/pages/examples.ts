/**
 * The docs' browser code samples (docs/examples-browser/*.ts), run as they are in a page, so that
 * what the "lmo in the browser" guide shows is what runs.
 */
import { scionOnGpujs } from '../../docs/examples-browser/gpujs.js';
import { scionOnOnnxWeb } from '../../docs/examples-browser/onnxruntime.js';
import { trainInBrowser } from '../../docs/examples-browser/tfjs.js';

/** One sample's outcome: what it reported, and whether it did what the guide says. */
export interface ExampleResult {
  readonly example: string;
  readonly ok: boolean;
  readonly summary: string;
}

declare global {
  interface Window {
    lmoExamples?: { run(): Promise<ExampleResult[]> };
  }
}

window.lmoExamples = {
  async run() {
    const out: ExampleResult[] = [];
    const fit = await trainInBrowser(50);
    const [first, last] = [fit.losses[0]!, fit.losses.at(-1)!];
    out.push({
      example: 'tfjs.ts',
      ok: fit.losses.every(Number.isFinite) && last < 0.5 * first,
      summary: `backend ${fit.backend}: loss ${first.toFixed(4)} → ${last.toFixed(4)} in ${fit.losses.length} steps`,
    });
    const g = await scionOnGpujs(5);
    const moved = Array.from(g.weight).some((v) => v !== 0) && g.weight.every(Number.isFinite);
    out.push({ example: 'gpujs.ts', ok: moved, summary: `gpu.js mode ${g.mode}: ${g.weight.length} finite weights` });
    const o = await scionOnOnnxWeb(5);
    out.push({
      example: 'onnxruntime.ts',
      ok: o.sessions === 1 && o.gain.every(Number.isFinite) && o.gain.some((v) => v !== 1),
      summary: `onnxruntime-web wasm: ${o.sessions} session for 5 steps, ${o.gain.length} finite gains`,
    });
    return out;
  },
};
document.body.dataset.ready = 'true';
