// lmo's gradients of models exported by PyTorch against PyTorch autograd's, on the same batch
// (fixtures written by scripts/torch-fixtures.py): every parameter to 1e-4 relative.
import { describe, expect, it } from 'vitest';
import type { OnnxTensor } from '../../src/index.js';
import { createOnnxTrainer, loadOnnxModel, type LossSpec, type TrainableSpec } from '../../src/index.js';
import { relativeError, torchFixture } from '../helpers/fixtures.js';
import { readSafetensors } from '../helpers/safetensors.js';

/** Trains one step with an optimizer that records the gradients it is given. */
async function lmoGradients(name: string, trainable: TrainableSpec, loss: LossSpec, feeds: Record<string, string>) {
  const data = readSafetensors(torchFixture(name, 'data.safetensors'));
  const model = await loadOnnxModel(torchFixture(name, 'model.onnx'));
  let grads = new Map<string, Float32Array>();
  const trainer = await createOnnxTrainer(model, {
    trainable,
    loss,
    optimizer: (_params, backend) => ({
      async step(g?: ReadonlyMap<string, OnnxTensor>) {
        const names = [...g!.keys()];
        const arrays = await backend.arrays(names.map((n) => g!.get(n)!));
        grads = new Map(names.map((n, i) => [n, arrays[i]!.slice()]));
      },
    }),
  });
  const inputs = Object.fromEntries(Object.entries(feeds).map(([input, stored]) => [input, data.get(stored)!.data]));
  const value = await trainer.step(inputs);
  await trainer.dispose();
  return { data, grads, loss: value };
}

function expectTorchGradients(result: Awaited<ReturnType<typeof lmoGradients>>, parameters: number): void {
  const { data, grads, loss } = result;
  expect(loss).toBeCloseTo((data.get('loss')!.data as Float32Array)[0]!, 5);
  const expected = [...data.keys()].filter((k) => k.startsWith('grad:') && grads.has(k.slice(5)));
  expect(grads.size).toBe(parameters);
  expect(expected).toHaveLength(parameters);
  for (const key of expected) {
    const mine = grads.get(key.slice(5))!;
    const torch = data.get(key)!.data as Float32Array;
    expect(mine.length).toBe(torch.length);
    expect(relativeError(mine, torch), key).toBeLessThan(1e-4);
  }
}

describe('gradients of PyTorch-exported models match autograd (1e-4 relative)', () => {
  it('an MLP with biases (Gemm, Relu, Tanh), mean squared error appended', async () => {
    const result = await lmoGradients('mlp', '*', { meanSquaredError: 'y' }, { x: 'input:x', targets: 'input:targets' });
    expectTorchGradients(result, 6);
  });

  it('a CNN (Conv with padding, stride and groups, BatchNorm in inference form, pools, Pad, Gemm), cross-entropy appended', async () => {
    const trainable = (name: string) => !name.includes('running');
    const result = await lmoGradients('cnn', trainable, { crossEntropy: 'logits' }, { image: 'input:image', labels: 'input:labels' });
    expectTorchGradients(result, 9);
  });

  it("nanoGPT's GPT with its own loss (LayerNorm, attention, Erf GELU, tied head)", async () => {
    const result = await lmoGradients('gpt', '*', 'loss', { idx: 'input:idx', targets: 'input:targets' });
    expectTorchGradients(result, 2 + 2 * 6 + 1);
  });
});
