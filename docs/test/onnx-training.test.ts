import { rmSync } from 'node:fs';
import { supportedOps } from '@lmo/onnxruntime';
import { describe, expect, it } from 'vitest';
import { renderOnnxOps } from '../scripts/onnx-ops-page.js';
import { runExample } from './run-example.js';

describe('examples/onnx-training.ts', () => {
  it('fine-tunes a PyTorch-exported MLP, saves, resumes, and the exported file runs in onnxruntime', async () => {
    const { module, printed } = await runExample(() => import('../examples/onnx-training.js'));
    try {
      const { losses, steps, inference } = module;
      expect(steps).toBe(200);
      expect(losses).toHaveLength(200);
      const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
      expect(mean(losses.slice(-20))).toBeLessThan(0.25 * mean(losses.slice(0, 20)));
      expect(mean(losses.slice(150, 170))).toBeLessThan(mean(losses.slice(130, 150)) * 1.5); // the resumed run goes on, no jump
      const mse = mean(Array.from(inference.y, (y, i) => (y - inference.targets[i]!) ** 2));
      expect(mse).toBeLessThan(0.5);
      expect(printed[0]).toBe('fc1.weight [16, 6], fc1.bias [16], fc2.weight [12, 16], fc2.bias [12], head.weight [3, 12], head.bias [3]');
      expect(printed[1]).toMatch(/^loss \d\.\d{3} → 0\.\d{3} in 200 steps; saved to /);
    } finally {
      rmSync(module.dir, { recursive: true, force: true });
    }
  });
});

describe('examples/onnx-to-torch.ts', () => {
  it('fine-tunes two layers of the MLP and writes every initializer as safetensors under its state_dict key', async () => {
    const { module, printed } = await runExample(() => import('../examples/onnx-to-torch.js'));
    try {
      expect(module.after).toBeLessThan(0.5 * module.before);
      expect(module.written).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight', 'head.bias', 'head.weight']);
      expect(printed).toEqual([`held-out loss ${module.before.toFixed(3)} → ${module.after.toFixed(3)}; wrote fc1.bias, fc1.weight, fc2.bias, fc2.weight, head.bias, head.weight`]);
    } finally {
      rmSync(module.dir, { recursive: true, force: true });
    }
  });
});

describe('the list of supported ops', () => {
  it('is generated from the gradient rules registry: every op, with what its rule covers', () => {
    const page = renderOnnxOps(supportedOps());
    const { ops, opsets } = supportedOps();
    expect(ops.length).toBeGreaterThan(40);
    for (const op of ['MatMul', 'Gemm', 'Conv', 'LayerNormalization', 'SoftmaxCrossEntropyLoss', 'Gather', 'Split', 'BatchNormalization', 'MaxPool']) {
      expect(ops.map((o) => o.op)).toContain(op);
    }
    for (const { op } of ops) expect(page).toContain(`| \`${op}\` |`);
    expect(page).toContain(`opsets ${opsets.min}–${opsets.max}`);
  });
});
