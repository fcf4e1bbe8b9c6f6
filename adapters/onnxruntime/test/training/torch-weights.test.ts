// exportSafetensors: the trained initializers (and the frozen ones, as the file holds them) under
// their state_dict keys; bad names, initializers without a key and shape mismatches refused in one
// line naming the tensor, before anything is encoded. (torch-roundtrip.test.ts loads the files
// into PyTorch modules.)
import { readFileSync } from 'node:fs';
import { decodeSafetensors, LmoError, unconstrainedScion } from '@lmo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxTrainer, exportSafetensors, loadOnnxModel, type ExportSafetensorsOptions, type OnnxTrainer } from '../../src/index.js';
import { floatValues } from '../../src/onnx/tensor-data.js';
import { torchFixture } from '../helpers/fixtures.js';
import { editedFixture, int64s } from '../helpers/models.js';

const mlpShapes: Record<string, number[]> = { 'fc1.weight': [16, 6], 'fc1.bias': [16], 'fc2.weight': [12, 16], 'fc2.bias': [12], 'head.weight': [3, 12], 'head.bias': [3] };
const stateDict = new Map(Object.entries(mlpShapes).map(([k, shape]) => [k, { shape }]));
const feeds = { x: Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), targets: Float32Array.from({ length: 15 }, (_, i) => Math.cos(i)) };

async function trainer(source: Uint8Array | string, trainable: string | string[]): Promise<OnnxTrainer> {
  const t = await createOnnxTrainer(await loadOnnxModel(source), { trainable, loss: { meanSquaredError: 'y' }, optimizer: (p, b) => unconstrainedScion(b, p, { lr: 0.05 }) });
  await t.step(feeds);
  await t.step(feeds);
  return t;
}

/** The MLP fixture with fc1.weight renamed as constant folding names what it makes (onnx::<op>_<n>). */
const folded = () =>
  editedFixture('mlp', (m) => {
    const g = m.graph!;
    g.initializer.find((t) => t.name === 'fc1.weight')!.name = 'onnx::Gemm_21';
    for (const n of g.node) n.input = n.input.map((i) => (i === 'fc1.weight' ? 'onnx::Gemm_21' : i));
  });

async function refused(t: OnnxTrainer, options: ExportSafetensorsOptions, code: string, pattern: RegExp): Promise<void> {
  const error = await exportSafetensors(t, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LmoError);
  expect((error as LmoError).code).toBe(code);
  expect((error as LmoError).message).toMatch(pattern);
  expect((error as LmoError).message).not.toContain('\n');
}

describe('exportSafetensors', () => {
  let t: OnnxTrainer;
  beforeAll(async () => {
    t = await trainer(torchFixture('mlp', 'model.onnx'), ['fc2.*', 'head.weight']);
  });
  afterAll(() => t.dispose());

  it('writes every initializer under its name: trained ones as trainer.weights(), frozen ones as the file holds them', async () => {
    const weights = await t.weights();
    const original = (await loadOnnxModel(torchFixture('mlp', 'model.onnx'))).graph.initializers;
    const file = decodeSafetensors(await exportSafetensors(t, { stateDict, metadata: { source: 'lmo' } }));
    expect(file.metadata).toEqual({ format: 'pt', source: 'lmo' });
    expect(Object.fromEntries([...file.tensors].map(([k, v]) => [k, v.shape]))).toEqual(mlpShapes);
    for (const [key, tensor] of file.tensors) {
      expect(tensor.dtype).toBe('F32');
      const expected = weights.get(key) ?? floatValues(original.get(key)!);
      expect(new Uint32Array(new Float32Array(tensor.data as Float32Array).buffer), key).toEqual(new Uint32Array(expected.buffer));
    }
    expect(weights.get('fc2.weight')).not.toEqual(floatValues(original.get('fc2.weight')!)); // it trained
  });

  it('frozen: false writes the trainable ones only; names renames, null leaves out', async () => {
    const only = decodeSafetensors(await exportSafetensors(t, { frozen: false }));
    expect(only.metadata).toEqual({ format: 'pt' });
    expect([...only.tensors.keys()].sort()).toEqual(['fc2.bias', 'fc2.weight', 'head.weight']);
    const renamed = decodeSafetensors(await exportSafetensors(t, { names: { 'fc2.weight': 'encoder.fc2.weight', 'fc1.bias': null }, frozen: true }));
    expect([...renamed.tensors.keys()].sort()).toEqual(['encoder.fc2.weight', 'fc1.weight', 'fc2.bias', 'head.bias', 'head.weight']);
  });

  it('refuses a names entry that is no initializer, naming it', async () => {
    await refused(t, { names: { 'fc3.weight': 'fc2.weight' } }, 'UNKNOWN_PARAMETER', /^onnx training: exportSafetensors: names maps "fc3\.weight", which is no initializer of the model \(its initializers are fc1\.weight, fc1\.bias, /);
    await refused(t, { names: { 'fc1.weight': '' } }, 'INVALID_HYPERPARAMETER', /names\["fc1\.weight"\] must be a state_dict key or null, got ""/);
  });

  it('refuses a key that is not in the state_dict, and a shape that is not its key\'s (a transposed weight)', async () => {
    await refused(t, { names: { 'fc2.weight': 'fc2.kernel' }, stateDict }, 'UNKNOWN_PARAMETER', /"fc2\.kernel" \(initializer "fc2\.weight"\) is not a key of the state_dict \(its keys are fc1\.weight, /);
    const transposed = new Map([...stateDict, ['fc2.weight', { shape: [16, 12] }]]);
    await refused(t, { stateDict: transposed }, 'SHAPE_MISMATCH', /"fc2\.weight" is \[12, 16\] but the state_dict's is \[16, 12\] \(a transposed weight: export with do_constant_folding=False\)$/);
    await refused(t, { stateDict: { ...Object.fromEntries(stateDict), 'head.bias': { shape: [1, 3] } } }, 'SHAPE_MISMATCH', /"head\.bias" is \[3\] but the state_dict's is \[1, 3\]$/);
  });

  it('refuses two initializers under one key', async () => {
    await refused(t, { names: { 'fc1.bias': 'fc2.bias' } }, 'UNKNOWN_PARAMETER', /^onnx training: exportSafetensors: initializer "fc1\.bias" and initializer "fc2\.bias" would both be written as "fc2\.bias"$/);
  });

  it('refuses after dispose', async () => {
    const other = await trainer(torchFixture('mlp', 'model.onnx'), 'head.*');
    await other.dispose();
    await expect(exportSafetensors(other)).rejects.toThrow(/disposed/);
  });
});

describe('exportSafetensors on what it cannot map', () => {
  it('refuses an initializer named by constant folding (frozen or trained) unless names gives its key', async () => {
    const t = await trainer(folded(), 'fc2.*');
    try {
      await refused(t, {}, 'UNKNOWN_PARAMETER', /^onnx training: exportSafetensors: initializer "onnx::Gemm_21" \[16, 6\] has a name torch\.onnx\.export made up .* export with do_constant_folding=False, or give its key in names \(null leaves it out\)$/);
      expect([...decodeSafetensors(await exportSafetensors(t, { frozen: false })).tensors.keys()].sort()).toEqual(['fc2.bias', 'fc2.weight']);
      const named = decodeSafetensors(await exportSafetensors(t, { names: { 'onnx::Gemm_21': 'fc1.weight' }, stateDict }));
      expect(named.tensors.get('fc1.weight')!.shape).toEqual([16, 6]);
    } finally {
      await t.dispose();
    }
    const trained = await trainer(folded(), 'onnx::Gemm_21');
    try {
      await refused(trained, { frozen: false }, 'UNKNOWN_PARAMETER', /initializer "onnx::Gemm_21" \[16, 6\] has a name torch\.onnx\.export made up/);
    } finally {
      await trained.dispose();
    }
  });

  it('writes an initializer the exporter merged with equal ones (an Identity node named after a key) under each key', async () => {
    const merged = editedFixture('mlp', (m) => void m.graph!.node.push({ opType: 'Identity', name: 'Identity_0', input: ['fc2.bias'], output: ['extra.bias'], attribute: [] } as never));
    const t = await trainer(merged, 'fc2.*');
    try {
      const file = decodeSafetensors(await exportSafetensors(t)).tensors;
      expect(file.get('extra.bias')!.data).toEqual((await t.weights()).get('fc2.bias'));
      await refused(t, { stateDict }, 'UNKNOWN_PARAMETER', /"extra\.bias" \(initializer "fc2\.bias" through Identity "Identity_0"\) is not a key of the state_dict/);
      expect([...decodeSafetensors(await exportSafetensors(t, { names: { 'fc2.bias': null } })).tensors.keys()]).not.toContain('extra.bias');
    } finally {
      await t.dispose();
    }
  });

  it('refuses an initializer that is not float32, naming it', async () => {
    const withCounter = editedFixture('mlp', (m) => void m.graph!.initializer.push(int64s('steps', [1], [7])));
    const t = await trainer(withCounter, 'head.*');
    try {
      await refused(t, {}, 'UNKNOWN_PARAMETER', /initializer "steps" is int64; only float32 initializers are written \(names: \{ "steps": null \} leaves it out\)$/);
      expect(decodeSafetensors(await exportSafetensors(t, { names: { steps: null } })).tensors.size).toBe(6);
    } finally {
      await t.dispose();
    }
  });

  it('the GPT fixture: every initializer is a state_dict key; the tied head is one, transformer.wte.weight', async () => {
    const t = await createOnnxTrainer(await loadOnnxModel(readFileSync(torchFixture('gpt', 'model.onnx'))), { trainable: 'transformer.h.0.*', loss: 'loss', optimizer: (p, b) => unconstrainedScion(b, p, { lr: 0.01 }) });
    try {
      const keys = [...decodeSafetensors(await exportSafetensors(t)).tensors.keys()];
      expect(keys).toContain('transformer.wte.weight');
      expect(keys).not.toContain('lm_head.weight');
      expect(keys).toHaveLength(t.model.initializers.length);
    } finally {
      await t.dispose();
    }
  });
});
