/**
 * The docs' browser code samples (docs/examples-browser/*.ts), run as they are in a page, so that
 * what the "lmo in the browser" guide shows is what runs.
 */
import { scionOnGpujs } from '../../docs/examples-browser/gpujs.js';
import { fineTuneInBrowser } from '../../docs/examples-browser/onnx-training.js';
import { scionOnOnnxWeb } from '../../docs/examples-browser/onnxruntime.js';
import { trainInBrowser } from '../../docs/examples-browser/tfjs.js';
import mlpUrl from '../../docs/examples/models/mlp.onnx?url';

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
    // Regression targets that are a fixed function of the inputs (deterministic batches).
    let seed = 1;
    const uniform = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const batches = Array.from({ length: 60 }, () => {
      const x = Float32Array.from({ length: 30 }, uniform);
      // Row n's target j is tanh(x[n, 2j] − x[n, 2j + 1]).
      const targets = Float32Array.from({ length: 15 }, (_, k) => Math.tanh(x[6 * Math.floor(k / 3) + 2 * (k % 3)]! - x[6 * Math.floor(k / 3) + 2 * (k % 3) + 1]!));
      return { x, targets };
    });
    const t = await fineTuneInBrowser(mlpUrl, batches);
    const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    const [early, late] = [mean(t.losses.slice(0, 10)), mean(t.losses.slice(-10))];
    out.push({
      example: 'onnx-training.ts',
      ok: t.losses.every(Number.isFinite) && late < 0.5 * early && t.trained.byteLength > 1000,
      summary: `fine-tuned a PyTorch-exported MLP on onnxruntime-web wasm: loss ${early.toFixed(4)} → ${late.toFixed(4)} (means of the first and last 10 of ${t.losses.length} steps), a ${t.trained.byteLength}-byte trained model`,
    });
    return out;
  },
};
document.body.dataset.ready = 'true';
