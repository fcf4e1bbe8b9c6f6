import { describe, expect, it } from 'vitest';
import { vulkanLoaderPresent } from '../../adapters/gpujs/test/webgpu.js';
import { runExample } from './run-example.js';

describe('examples/onnxruntime.ts', () => {
  it('runs ten Scion steps and compiles a single session', async () => {
    const { module, printed } = await runExample(() => import('../examples/onnxruntime.js'));
    expect(module.weights.every(Number.isFinite)).toBe(true);
    expect(Array.from(module.weights).some((w) => w !== 1)).toBe(true);
    expect(module.sessions).toBe(1);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^10 steps, 1 compiled session\(s\); ln\.weight\[0\.\.3\] = /);
  });
});

describe('examples/gpujs.ts', () => {
  it('runs Muon steps in the first gpu.js mode that works', async () => {
    const { module, printed } = await runExample(() => import('../examples/gpujs.js'));
    expect(['headlessgl', 'webasm', 'cpu']).toContain(module.mode);
    expect(module.bias.every(Number.isFinite)).toBe(true);
    expect(Array.from(module.bias).some((v) => v !== 0)).toBe(true);
    expect(printed[0]).toMatch(new RegExp(`^gpu\\.js ${module.mode}: 3 Muon steps`));
  });
});

// Dawn's software adapter is slow and noisy: run where a GPU may be, or when asked (CI does).
const webgpu = process.env.LMO_WEBGPU === 'compat' || process.env.LMO_WEBGPU === 'gpu' || (process.env.LMO_WEBGPU !== 'off' && vulkanLoaderPresent());
describe.runIf(webgpu)('examples/gpujs-webgpu.ts', () => {
  it('takes a Scion step in webgpu mode', async () => {
    const { module, printed } = await runExample(() => import('../examples/gpujs-webgpu.js'));
    expect(module.first.every(Number.isFinite)).toBe(true);
    expect(printed[0]).toMatch(/^webgpu: one Scion step/);
  });
});
