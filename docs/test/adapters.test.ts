import { describe, expect, it } from 'vitest';
import { trainOnGpujs } from '../examples/gpujs.js';
import { trainOnOnnx } from '../examples/onnxruntime.js';

describe('examples/onnxruntime.ts', () => {
  it('runs ten Scion steps and compiles a single session', async () => {
    const { weights, sessions } = await trainOnOnnx(10);
    expect(weights.every(Number.isFinite)).toBe(true);
    expect(Array.from(weights).some((w) => w !== 1)).toBe(true);
    expect(sessions).toBe(1);
  });
});

describe('examples/gpujs.ts', () => {
  it('runs Muon steps in cpu mode', async () => {
    const { mode, bias } = await trainOnGpujs(['cpu'], 3);
    expect(mode).toBe('cpu');
    expect(bias.every(Number.isFinite)).toBe(true);
    expect(Array.from(bias).some((v) => v !== 0)).toBe(true);
  });
});
