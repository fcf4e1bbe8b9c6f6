import { describe, expect, it } from 'vitest';
import { relativeError } from '@lmo/core/testing';
import { BatchSampler } from '../src/data/char-dataset.js';
import { GpujsModel } from '../src/gpujs/backend.js';
import { erfStatements } from '../src/gpujs/erf.js';
import { gelu, geluBackward } from '../src/gpujs/kernels.js';
import { createGpujsBackend, type GpujsMode } from '@lmo/gpujs';
import { vulkanLoaderPresent, webgpuNavigatorOptions } from '../src/node/dawn.js';
import { initParams } from '../src/init.js';
import { erf } from '../src/reference/kernels/gelu.js';
import { createModel } from '../src/node/registry.js';
import { createTrainOptimizer, nanoGptSchedule } from '../src/optim/optimizers.js';
import { runSteps, type Run } from './helpers/runs.js';
import { tinyConfig, tinyData } from './helpers/tiny-gpt.js';
import { ReferenceModel } from '../src/reference/backend.js';

// A tiny GPT on a small corpus: two Scion steps; loss and every gradient against the reference.
const data = tinyData;
const cfg = tinyConfig(8, 16);
const B = 2;
const STEPS = 2;

async function run(name: string): Promise<Run> {
  const model = await createModel(name, cfg);
  return runSteps(model, B, STEPS, (params) => createTrainOptimizer('scion', model.tensors, params, 2 ** -6, nanoGptSchedule(STEPS, 0)));
}

let refRun: Promise<Run> | undefined;

describe.each(['gpujs-cpu', 'gpujs-webasm'])('%s', (name) => {
  const mode = name.slice('gpujs-'.length);

  it('the in-kernel erf matches float64 erf (absolute and relative)', async () => {
    const b = createGpujsBackend({ mode: mode as GpujsMode });
    const n = 12001;
    // includes tiny arguments, where only a relative-accurate erf keeps its digits
    const x = Float32Array.from({ length: n }, (_, i) => (i < 1000 ? (i - 500) * 1e-6 : -6 + (12 * (i - 1000)) / (n - 1001)));
    const src = `function (x) {\n  const u = x[this.thread.x];\n  let e = 0.0;\n  ${erfStatements('u', 'e')}  return e;\n}`;
    const y = await b.read(b.kernel('erf', [n], () => src, [b.fromArray(x, [n])]));
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < n; i++) {
      const ref = erf(x[i]!);
      const e = Math.abs(y[i]! - ref);
      abs = Math.max(abs, e);
      if (ref !== 0) rel = Math.max(rel, e / Math.abs(ref));
    }
    b.destroy();
    // float64 arithmetic (cpu): ≤ 6e-8 measured, float32 output rounding included; float32 (webasm): ≤ 1.3e-7
    expect(abs).toBeLessThan(mode === 'cpu' ? 8e-8 : 2e-7);
    expect(rel).toBeLessThan(mode === 'cpu' ? 2e-7 : 4e-7);
  });

  it('GELU kernels (in-kernel erf) match float64 GELU and its derivative', async () => {
    const b = createGpujsBackend({ mode: mode as GpujsMode });
    const n = 4001;
    const x = Float32Array.from({ length: n }, (_, i) => -8 + (16 * i) / (n - 1));
    const xs = b.fromArray(x, [n]);
    const y = await b.read(b.kernel('gelu', [n], () => gelu(n).source, [xs]));
    const dy = await b.read(b.kernel('geluBackward', [n], () => geluBackward(n).source, [b.fromArray(new Float32Array(n).fill(1), [n]), xs]));
    let errF = 0;
    let errD = 0;
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * Math.SQRT1_2));
      const ref = v * cdf;
      const dref = cdf + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
      errF = Math.max(errF, Math.abs(y[i]! - ref) / Math.max(1, Math.abs(ref)));
      errD = Math.max(errD, Math.abs(dy[i]! - dref));
    }
    b.destroy();
    // float32 output rounding is ~6e-8 relative; allow a few ulps
    expect(errF).toBeLessThan(5e-7);
    expect(errD).toBeLessThan(5e-7);
  });

  it(`loss and every gradient over ${STEPS} Scion steps, eval loss and logits match the reference`, async () => {
    refRun ??= run('reference');
    const ref = await refRun;
    const other = await run(name);
    for (let s = 0; s < STEPS; s++) {
      expect(Math.abs(other.losses[s]! - ref.losses[s]!), `loss at step ${s}`).toBeLessThan(1e-5);
      for (const [k, g] of ref.grads[s]!) expect(relativeError(other.grads[s]!.get(k)!, g), `${k} at step ${s}`).toBeLessThan(1e-4);
    }
    expect(Math.abs(other.evalLoss - ref.evalLoss)).toBeLessThan(1e-5);
    expect(relativeError(other.logits, ref.logits)).toBeLessThan(1e-4);
  });
});

// gpu.js webgpu (pipeline mode: activations and gradients stay in storage buffers) where Dawn finds an
// adapter: a GPU (tried where a Vulkan loader is installed, or with LMO_WEBGPU=gpu), or with
// LMO_WEBGPU=compat Mesa's software GL (CI runs that as its own step: Dawn prints warnings there).
// One forward+backward (the emulated adapter compiles a shader per kernel: seconds).
const webgpuWanted =
  process.env.LMO_WEBGPU === 'compat' || process.env.LMO_WEBGPU === 'gpu' || (process.env.LMO_WEBGPU !== 'off' && vulkanLoaderPresent());
describe('gpujs-webgpu', () => {
  it.runIf(webgpuWanted)('loss and every gradient of one batch match the reference (skipped without an adapter)', async (ctx) => {
    let model: GpujsModel;
    try {
      model = await GpujsModel.create('webgpu', cfg, await webgpuNavigatorOptions());
    } catch (e) {
      // No adapter after all (e.g. a Vulkan loader without a GPU): fail only where one was demanded.
      if (process.env.LMO_WEBGPU === 'compat' || process.env.LMO_WEBGPU === 'gpu') throw e;
      ctx.skip();
      return;
    }
    const ref = new ReferenceModel(cfg);
    const batch = new BatchSampler(data.train, B, cfg.blockSize, 11).next();
    const params = model.createParams(initParams(cfg, 7));
    const refParams = ref.createParams(initParams(cfg, 7));
    const r = await model.lossAndGrads(params, batch);
    const rr = ref.lossAndGrads(refParams, batch);
    expect(Math.abs(r.loss - rr.loss)).toBeLessThan(1e-5);
    for (const [k, g] of rr.grads) {
      const mine = await model.tensors.read(r.grads.get(k)!);
      expect(relativeError(mine, Float32Array.from(ref.tensors.read(g))), k).toBeLessThan(1e-4);
    }
    for (const p of params.values()) model.tensors.dispose(p);
    model.dispose();
  }, 120_000);
});
