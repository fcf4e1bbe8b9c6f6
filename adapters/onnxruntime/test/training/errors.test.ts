// Bad input is refused before any step with one line naming what is wrong, and nothing is left
// half-built: no session stays open, the backend's counters balance.
import { readFileSync } from 'node:fs';
import { LmoError, unconstrainedScion } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { createOnnxTrainer, loadOnnxModel, onnxBackend, type LossSpec, type ModelSource, type OnnxBackend, type OnnxTensor, type TrainableSpec } from '../../src/index.js';
import { ElemType } from '../../src/onnx/schema.js';
import { intAttr, intsAttr } from '../../src/training/attributes.js';
import { torchFixture } from '../helpers/fixtures.js';
import { editedFixture, floats, model, node, value } from '../helpers/models.js';

const mlp = () => readFileSync(torchFixture('mlp', 'model.onnx'));

/** Expects `createOnnxTrainer` to fail with an LmoError of `code` whose one-line message matches `pattern`, leaving no session. */
async function expectRefused(source: ModelSource | (() => Promise<ModelSource>), options: { trainable?: TrainableSpec; loss?: LossSpec }, code: string, pattern: RegExp): Promise<void> {
  const backend = onnxBackend();
  let error: unknown;
  try {
    const m = typeof source === 'function' ? await source() : source;
    await createOnnxTrainer(m, { trainable: '*', loss: { meanSquaredError: 'y' }, ...options, optimizer: (p: ReadonlyMap<string, OnnxTensor>, b: OnnxBackend) => unconstrainedScion(b, p, { lr: 0.01 }), backend } as never);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LmoError);
  const e = error as LmoError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(pattern);
  expect(e.message).not.toContain('\n');
  expect(backend.sessionCount).toBe(0);
  expect(backend.stats.sessionsCreated).toBe(backend.stats.sessionsReleased);
  await backend.close();
}

describe('bad input is refused before any step', () => {
  it('an op without a gradient rule: the node, its op type and the trainable initializers it blocks', async () => {
    const softsign = editedFixture('mlp', (m) => {
      m.graph!.node.find((n) => n.opType === 'Relu')!.opType = 'Softsign';
    });
    await expectRefused(softsign, {}, 'BACKEND', /node ".*Relu.*" \(Softsign, opset 17\) has no gradient rule; it blocks the gradients of fc1\.weight, fc1\.bias$/);
  });

  it('an op with an attribute outside its rule', async () => {
    const withMul = model({
      nodes: [node('Mul', ['x', 'w'], ['xw'], 'mul'), node('MaxPool', ['xw'], ['y'], 'pool', [intsAttr('kernel_shape', [2]), intAttr('storage_order', 1)])],
      inputs: [value('x', [1, 1, 4])],
      outputs: [value('y', [1, 1, 3])],
      initializers: [floats('w', [1], [2])],
    });
    await expectRefused(withMul, {}, 'BACKEND', /node "pool" \(MaxPool, opset 17\) is not supported with storage_order 1.*; it blocks the gradients of w$/);
  });

  it('a loss that is not a scalar', async () => {
    await expectRefused(mlp(), { loss: 'y' }, 'SHAPE_MISMATCH', /loss: "y" has shape \[5, 3\], not a scalar/);
  });

  it('a loss output or a loss input that does not exist', async () => {
    await expectRefused(mlp(), { loss: 'nope' }, 'INVALID_HYPERPARAMETER', /loss: the model has no value named "nope"/);
    await expectRefused(mlp(), { loss: { crossEntropy: 'logits' } }, 'INVALID_HYPERPARAMETER', /no value named "logits"/);
  });

  it('a trainable name that does not exist, or is not a float initializer, and an empty selection', async () => {
    await expectRefused(mlp(), { trainable: 'fc1.wieght' }, 'UNKNOWN_PARAMETER', /trainable: the model has no initializer named "fc1\.wieght"; its float initializers are fc1\.weight, fc1\.bias/);
    await expectRefused(mlp(), { trainable: 'x' }, 'UNKNOWN_PARAMETER', /"x" is a graph input/);
    await expectRefused(mlp(), { trainable: 'conv*' }, 'UNKNOWN_PARAMETER', /trainable: conv\* matches no float32 initializer/);
    await expectRefused(mlp(), { trainable: [] }, 'INVALID_HYPERPARAMETER', /say which initializers train/);
    const withIndex = model({
      nodes: [node('Gather', ['w', 'i'], ['y'], 'gather')],
      inputs: [],
      outputs: [value('y', [2])],
      initializers: [floats('w', [3], [1, 2, 3]), { ...floats('i', [2], [0, 1]), dataType: ElemType.INT64, rawData: new Uint8Array(16) }],
    });
    await expectRefused(withIndex, { trainable: 'i' }, 'UNKNOWN_PARAMETER', /initializer "i" is int64; only float32 initializers train/);
  });

  it('a trainable initializer the loss does not depend on', async () => {
    const bytes = model({
      nodes: [node('Mul', ['x', 'w'], ['y'], 'mul'), node('Add', ['x', 'unused'], ['z'], 'add')],
      inputs: [value('x', [3])],
      outputs: [value('y', [3]), value('z', [3])],
      initializers: [floats('w', [3], [1, 2, 3]), floats('unused', [3], [1, 1, 1])],
    });
    await expectRefused(bytes, { trainable: '*' }, 'UNKNOWN_PARAMETER', /trainable initializer "unused" does not affect the loss/);
  });

  it('a dynamic dimension', async () => {
    const dynamic = editedFixture('mlp', (m) => {
      m.graph!.input[0]!.type!.tensorType!.shape!.dim[0] = { dimParam: 'batch' };
    });
    await expectRefused(dynamic, {}, 'UNSUPPORTED_SHAPE', /input "x" has the dynamic dimension "batch" at axis 0; training needs static shapes/);
  });

  it('a truncated file, cut anywhere', async () => {
    const bytes = mlp();
    for (const fraction of [0.01, 0.3, 0.5, 0.9, 0.999]) {
      await expectRefused(bytes.subarray(0, Math.floor(bytes.length * fraction)), {}, 'BACKEND', /invalid ONNX model: /);
    }
    await expectRefused(() => loadOnnxModel(new Uint8Array(0)), {}, 'BACKEND', /invalid ONNX model: the file is empty/);
    await expectRefused(() => loadOnnxModel('/nonexistent/model.onnx'), {}, 'BACKEND', /cannot read the ONNX model \/nonexistent\/model\.onnx/);
  });

  it('weights in an external data file', async () => {
    const external = editedFixture('mlp', (m) => {
      const w = m.graph!.initializer.find((t) => t.name === 'fc1.weight')!;
      w.rawData = new Uint8Array(0);
      w.dataLocation = 1;
      w.externalData = [{ key: 'location', value: 'weights.bin' }];
    });
    await expectRefused(external, {}, 'BACKEND', /tensor fc1\.weight keeps its data in an external file/);
  });

  it('an opset outside 14–18', async () => {
    const old = editedFixture('mlp', (m) => {
      m.opsetImport[0]!.version = 13;
    });
    await expectRefused(old, {}, 'BACKEND', /the model uses opset 13; training supports opsets 14–18/);
  });
});
