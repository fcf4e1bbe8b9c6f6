import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in the test output

describe('tfjs examples', () => {
  it('examples/tfjs-fit.ts: model.fit with Scion lowers the loss; save and reload keep the optimizer state', async () => {
    const { module, printed } = await runExample(() => import('../examples/tfjs-fit.js'));
    const { losses, optimizer, restored } = module;
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.5);
    const groups = optimizer.parameters.map((p) => `${p.group}:${p.layout}:${p.norm}`).sort();
    expect(groups).toEqual([
      'biases:reference:biasRMS', 'biases:reference:biasRMS', 'biases:reference:biasRMS',
      'head:keras:transposed', 'hidden:keras:transposed', 'hidden:keras:transposed',
    ]);
    expect(restored.getConfig()).toEqual(optimizer.getConfig());
    expect(printed).toEqual([
      `training loss ${losses[0]!.toFixed(4)} → ${losses[losses.length - 1]!.toFixed(4)} after 20 epochs`,
      'reloaded: LmoScion at iteration 80',
    ]);
    // after the reloaded model's extra epoch
    expect(restored.iterations).toBe(84);
  });

  it('examples/tfjs-custom-loop.ts: minimize and applyGradients both work', async () => {
    const { module } = await runExample(() => import('../examples/tfjs-custom-loop.js'));
    expect(module.losses.every(Number.isFinite)).toBe(true);
    expect(module.losses[99]!).toBeLessThan(module.losses[0]! * 0.2);
  });

  it('examples/tfjs-backend.ts: core on tfjs tensors updates the variable', async () => {
    const { module } = await runExample(() => import('../examples/tfjs-backend.js'));
    expect(module.changed).toBe(true);
  });

  it('examples/tfjs-core-bundler.ts: tfjs-core + a backend + tfjs-layers (as a bundler resolves them)', async () => {
    const { module } = await runExample(() => import('../examples/tfjs-core-bundler.js'));
    expect(module.losses[9]!).toBeLessThan(module.losses[0]!);
  });
});
