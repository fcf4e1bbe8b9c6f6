// Exporting the trained model (the original file with new initializer values, every other byte as
// it was) and resuming from it with core's optimizer state.
import { readFileSync } from 'node:fs';
import { stateFromJSON, stateToJSON, transformerGroups, unconstrainedScion } from '@lmo/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createOnnxTrainer, loadOnnxModel, OnnxModel, type OnnxBackend, type OnnxTensor } from '../../src/index.js';
import { decodeModelProto } from '../../src/onnx/schema.js';
import { floatValues } from '../../src/onnx/tensor-data.js';
import { torchFixture } from '../helpers/fixtures.js';
import { readSafetensors } from '../helpers/safetensors.js';

const optimizer = (p: ReadonlyMap<string, OnnxTensor>, b: OnnxBackend) => unconstrainedScion(b, p, { lr: 2 ** -8, groups: transformerGroups() });

function batches() {
  const data = readSafetensors(torchFixture('gpt', 'batches.safetensors'));
  const n = data.get('idx')!.shape[1]! * data.get('idx')!.shape[2]!;
  return (s: number) => ({
    idx: (data.get('idx')!.data as BigInt64Array).subarray(s * n, (s + 1) * n),
    targets: (data.get('targets')!.data as BigInt64Array).subarray(s * n, (s + 1) * n),
  });
}

describe('exportModel', () => {
  it('before any step gives back the very bytes of the file PyTorch wrote', async () => {
    const bytes = readFileSync(torchFixture('gpt', 'model.onnx'));
    const trainer = await createOnnxTrainer(OnnxModel.fromBytes(bytes), { trainable: '*', loss: 'loss', optimizer });
    expect(Buffer.from(await trainer.exportModel()).equals(bytes)).toBe(true);
    await trainer.dispose();
  });

  it('keeps no second copy of the trainable weights: its model describes them, exportModel writes them', async () => {
    const bytes = readFileSync(torchFixture('gpt', 'model.onnx'));
    const model = OnnxModel.fromBytes(bytes);
    const trainer = await createOnnxTrainer(model, { trainable: 'transformer.h.*', loss: 'loss', optimizer: (p, b) => unconstrainedScion(b, p, { lr: 2 ** -8 }), dtype: 'bfloat16' });
    const trainable = [...trainer.parameters.keys()];
    const trainableBytes = trainable.reduce((n, name) => n + 4 * trainer.parameters.get(name)!.shape.reduce((a, d) => a * d, 1), 0);
    expect(trainer.model.bytes.byteLength).toBeLessThan(bytes.byteLength - trainableBytes + 4096);
    expect(trainer.model.initializers).toEqual(model.initializers);
    expect(trainer.model.inputs).toEqual(model.inputs);
    expect(trainer.model.outputs).toEqual(model.outputs);
    for (const name of trainable) expect(trainer.model.graph.initializers.get(name)!.rawData?.byteLength ?? 0).toBe(0);
    // the export is the file with the parameters' (bfloat16-rounded) values, as from the original bytes
    const exported = decodeModelProto(await trainer.exportModel());
    const weights = await trainer.weights();
    for (const t of exported.graph!.initializer) {
      const original = model.graph.initializers.get(t.name!)!;
      expect(floatValues(t)).toEqual(weights.get(t.name!) ?? floatValues(original));
    }
    await trainer.dispose();
  });

  it('after training: the trained values in the trained initializers, the rest of the model unchanged, and it runs', async () => {
    const batch = batches();
    const bytes = readFileSync(torchFixture('gpt', 'model.onnx'));
    const trainer = await createOnnxTrainer(OnnxModel.fromBytes(bytes), { trainable: 'transformer.h.*', loss: 'loss', optimizer: (p, b) => unconstrainedScion(b, p, { lr: 2 ** -8 }) });
    for (let s = 0; s < 3; s++) await trainer.step(batch(s));
    const exported = await trainer.exportModel();
    const [before, after] = [decodeModelProto(new Uint8Array(bytes)), decodeModelProto(exported)];
    const weights = await trainer.weights();
    for (const t of after.graph!.initializer) {
      const trained = weights.get(t.name!);
      const original = before.graph!.initializer.find((o) => o.name === t.name)!;
      expect(t.dims).toEqual(original.dims);
      if (trained === undefined) expect(floatValues(t)).toEqual(floatValues(original));
      else {
        expect(floatValues(t)).toEqual(trained);
        expect(floatValues(t)).not.toEqual(floatValues(original));
      }
    }
    const strip = (m: typeof before) => ({ ...m, graph: { ...m.graph!, initializer: m.graph!.initializer.map((t) => t.name) } });
    expect(strip(after)).toEqual(strip(before));
    // The exported model computes the loss the trainer reports for the trained weights.
    const session = await ort.InferenceSession.create(exported, { graphOptimizationLevel: 'basic' });
    const { idx, targets } = batch(3);
    const out = await session.run({ idx: new ort.Tensor('int64', idx, [4, 16]), targets: new ort.Tensor('int64', targets, [4, 16]) });
    expect((out['loss']!.data as Float32Array)[0]).toBeCloseTo(await trainer.evaluate(batch(3)), 5);
    await session.release();
    await trainer.dispose();
  });
});

describe('save and resume', () => {
  it('the exported model and stateToJSON(optimizer state) resume exactly where training stopped', async () => {
    const batch = batches();
    const straight = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), { trainable: '*', loss: 'loss', optimizer });
    const expected: number[] = [];
    for (let s = 0; s < 8; s++) expected.push(await straight.step(batch(s)));

    const first = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), { trainable: '*', loss: 'loss', optimizer });
    const losses: number[] = [];
    for (let s = 0; s < 4; s++) losses.push(await first.step(batch(s)));
    const saved = { model: await first.exportModel(), optimizer: JSON.stringify(stateToJSON(await first.optimizer.getState())) };
    await first.dispose();

    const resumed = await createOnnxTrainer(await loadOnnxModel(saved.model), { trainable: '*', loss: 'loss', optimizer });
    await resumed.optimizer.loadState(stateFromJSON(JSON.parse(saved.optimizer)));
    expect(resumed.optimizer.stepCount).toBe(4);
    for (let s = 4; s < 8; s++) losses.push(await resumed.step(batch(s)));
    expect(losses).toEqual(expected);
    expect(await resumed.weights()).toEqual(await straight.weights());
    await Promise.all([straight.dispose(), resumed.dispose()]);
  });
});
