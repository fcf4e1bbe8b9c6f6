// End to end: nanoGPT's GPT exported by PyTorch, trained 50 steps with uSCG by lmo (core's
// unconstrainedScion with transformerGroups(), matched by the initializer names torch writes) and
// by PyTorch with the reference Scion, from the same weights on the same batches: the losses agree
// to 1e-3 relative at every step (scripts/torch-fixtures.py wrote PyTorch's).
import { readFileSync } from 'node:fs';
import { transformerGroups, unconstrainedScion } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { createOnnxTrainer, loadOnnxModel } from '../../src/index.js';
import { torchFixture } from '../helpers/fixtures.js';
import { readSafetensors } from '../helpers/safetensors.js';

describe('50 uSCG steps on a PyTorch-exported GPT', () => {
  it('follow the reference Scion in PyTorch (losses to 1e-3 relative at every step)', async () => {
    const reference = JSON.parse(readFileSync(torchFixture('gpt', 'uscg-losses.json'), 'utf8')) as { lr: number; momentum: number; losses: number[] };
    const batches = readSafetensors(torchFixture('gpt', 'batches.safetensors'));
    const idx = batches.get('idx')!;
    const targets = batches.get('targets')!;
    const [steps, B, T] = idx.shape as [number, number, number];
    const trainer = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), {
      trainable: '*',
      loss: 'loss',
      optimizer: (params, backend) => unconstrainedScion(backend, params, { lr: reference.lr, momentum: reference.momentum, groups: transformerGroups() }),
    });
    expect(trainer.optimizer.parameters.map((p) => `${p.name}:${p.group}`)).toContain('transformer.wte.weight:embedding');
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const slice = (t: typeof idx) => (t.data as BigInt64Array).subarray(s * B * T, (s + 1) * B * T);
      losses.push(await trainer.step({ idx: slice(idx), targets: slice(targets) }));
    }
    await trainer.dispose();
    expect(losses).toHaveLength(reference.losses.length);
    const errors = losses.map((l, i) => Math.abs(l - reference.losses[i]!) / Math.abs(reference.losses[i]!));
    expect(Math.max(...errors)).toBeLessThan(1e-3);
    expect(losses[steps - 1]!).toBeLessThan(losses[0]! - 0.5); // it learned
  });
});
