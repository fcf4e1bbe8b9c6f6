// Training with 16-bit weights: the PyTorch-exported GPT with bfloat16 and float16 weights and
// ScionLight's G in 16 bits (accumulated inside the graph), against its float32 run; the bytes each
// configuration keeps; weights and exports; the opset upgrade bfloat16 needs, on a model with the
// forms that change (reductions' axes, an equal Split), against float32 gradients.
import { fromBfloat16Bits, LmoError, scion, scionLight, signSGD, toBfloat16Bits, transformerGroups, type StorageDtype } from '@lmo/core';
import { describe, expect, it } from 'vitest';
import { createOnnxTrainer, loadOnnxModel, OnnxModel, type OnnxBackend, type OnnxTensor } from '../../src/index.js';
import * as web from '../../src/web.js';
import { decodeModelProto, ElemType } from '../../src/onnx/schema.js';
import { torchFixture } from '../helpers/fixtures.js';
import { floats, int64s, model, node, value } from '../helpers/models.js';
import { gptBatches } from '../helpers/safetensors.js';

type Params = ReadonlyMap<string, OnnxTensor>;


/** A value a 16-bit dtype holds exactly (widening its bits gives it back). */
function holds(dtype: StorageDtype, v: number): boolean {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0]!;
  if (dtype === 'bfloat16') return (bits & 0xffff) === 0;
  const a = Math.abs(v);
  return a === 0 || Number.isInteger(a / 2 ** (Math.max(Math.floor(Math.log2(a)), -14) - 10));
}

async function gptRun(dtype: StorageDtype, steps: number, compensation?: 'kahan') {
  const batch = gptBatches();
  const trainer = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), {
    trainable: '*',
    loss: 'loss',
    dtype,
    optimizer: (p: Params, b: OnnxBackend) =>
      scionLight(b, p, { lr: 2 ** -8, groups: transformerGroups(), unconstrained: true, bufferDtype: dtype, ...(compensation !== undefined ? { compensation } : {}) }),
  });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(await trainer.step(batch(s % 4)));
  return { trainer, losses, evaluation: await trainer.evaluate(batch(0)) };
}

describe('ScionLight on a PyTorch-exported GPT with 16-bit weights and G', () => {
  it.each(['bfloat16', 'float16'] as const)('%s with Kahan compensation: the float32 run’s losses, 4 (+2) bytes per parameter, 16-bit weights', async (dtype) => {
    const wide = await gptRun('float32', 12);
    const half = await gptRun(dtype, 12, 'kahan');
    expect(half.trainer.accumulates).toBe(true);
    // the losses (≈ 4.2 → 2.7) stay within 0.02 of float32's: the runs part by the weights' first
    // rounding and by how training amplifies it, not by lost updates (about 0.01 here, in either dtype)
    half.losses.forEach((l, s) => expect(Math.abs(l - wide.losses[s]!), `step ${s}`).toBeLessThan(0.02));
    expect(half.evaluation).toBeLessThan(half.losses[0]!);
    const n = [...half.trainer.parameters.values()].reduce((sum, p) => sum + p.shape.reduce((a, d) => a * d, 1), 0);
    const opt = half.trainer.optimizer;
    expect(opt.parameterBytes / n).toBe(2);
    expect(opt.ownedBytes / n).toBe(4); // G and the compensation buffer
    expect((wide.trainer.optimizer.parameterBytes + wide.trainer.optimizer.ownedBytes) / n).toBe(8);
    for (const [name, w] of await half.trainer.weights()) expect(w.every((v) => holds(dtype, v)), name).toBe(true);
    // the export holds the 16-bit weights' exact values, in the model's float32 initializers
    const exported = await OnnxModel.fromBytes(await half.trainer.exportModel());
    const weights = await half.trainer.weights();
    for (const t of decodeModelProto(exported.bytes).graph!.initializer) {
      const w = weights.get(t.name ?? '');
      if (w === undefined) continue;
      expect(t.dataType).toBe(ElemType.FLOAT);
      const raw = new Float32Array(Uint8Array.from(t.rawData!).buffer);
      expect(Array.from(raw)).toEqual(Array.from(w));
    }
    await Promise.all([wide.trainer.dispose(), half.trainer.dispose()]);
  }, 120_000);

  it('onnxruntime-web (wasm, in Node) trains the same bfloat16 run: BitCast and the casts of opset 26 on its wasm build', async () => {
    const batch = gptBatches();
    const run = async (make: typeof createOnnxTrainer, backend?: OnnxBackend) => {
      const trainer = await make(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), {
        trainable: '*',
        loss: 'loss',
        dtype: 'bfloat16',
        ...(backend !== undefined ? { backend } : {}),
        optimizer: (p: Params, b: OnnxBackend) => scionLight(b, p, { lr: 2 ** -8, groups: transformerGroups(), unconstrained: true, bufferDtype: 'bfloat16', compensation: 'kahan' }),
      });
      const losses: number[] = [];
      for (let s = 0; s < 6; s++) losses.push(await trainer.step(batch(s % 4)));
      const weights = await trainer.weights();
      await trainer.dispose();
      return { losses, weights };
    };
    const node = await run(createOnnxTrainer);
    const backend = web.onnxBackend();
    const wasm = await run(web.createOnnxTrainer, backend);
    await backend.close();
    // the same graphs on another build of onnxruntime: float32 sums in another order can round a
    // weight to a neighbouring bfloat16 value, so the losses agree closely, not bit for bit
    wasm.losses.forEach((l, s) => expect(Math.abs(l - node.losses[s]!), `step ${s}`).toBeLessThan(2e-3));
    for (const [name, w] of wasm.weights) expect(w.every((v) => holds('bfloat16', v)), name).toBe(true);
  }, 120_000);

  it('sessions and tensors stay flat over many bfloat16 steps', async () => {
    const { trainer } = await gptRun('bfloat16', 3, 'kahan');
    const batch = gptBatches();
    const sessions = trainer.backend.sessionCount;
    const created = trainer.backend.stats.sessionsCreated;
    for (let s = 0; s < 40; s++) await trainer.step(batch(s % 4));
    expect(trainer.backend.sessionCount).toBe(sessions);
    expect(trainer.backend.stats.sessionsCreated).toBe(created);
    await trainer.dispose();
  }, 120_000);

  it('Scion (not light) with bfloat16 weights and momentum: float32 gradients, 16-bit state', async () => {
    const batch = gptBatches();
    const trainer = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), {
      trainable: '*',
      loss: 'loss',
      dtype: 'bfloat16',
      optimizer: (p: Params, b: OnnxBackend) => scion(b, p, { lr: 2 ** -6, groups: transformerGroups(), bufferDtype: 'bfloat16', compensation: 'kahan' }),
    });
    expect(trainer.accumulates).toBe(false);
    const losses: number[] = [];
    for (let s = 0; s < 8; s++) losses.push(await trainer.step(batch(s % 4)));
    expect(await trainer.evaluate(batch(0))).toBeLessThan(losses[0]!);
    const state = await trainer.optimizer.getState();
    expect(state.parameters.every((p) => p.dtypes?.compensation === 'bfloat16')).toBe(true);
    await trainer.dispose();
  }, 120_000);

  it('refuses a dtype that is not a storage dtype', async () => {
    const error = await createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), {
      trainable: '*',
      loss: 'loss',
      dtype: 'float64' as StorageDtype,
      optimizer: (p: Params, b: OnnxBackend) => signSGD(b, p, { lr: 1e-3 }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LmoError);
    expect((error as LmoError).message).toMatch(/dtype must be one of "float32", "bfloat16", "float16", got "float64"/);
  });
});

describe('the opset-26 upgrade that bfloat16 needs', () => {
  // y = ReduceMean(Split(x·W)[0] ⊙ Split(x·W)[1], axes = [1]) at opset 17: the axes an attribute, the
  // split equal and without sizes: both forms change at opset 18
  const bytes = model(
    {
      nodes: [
        node('MatMul', ['x', 'W'], ['h'], 'mm'),
        node('Split', ['h'], ['a', 'b'], 'split', [{ name: 'axis', type: 2, i: 1, floats: [], ints: [], strings: [], tensors: [], graphs: [] }]),
        node('Mul', ['a', 'b'], ['ab'], 'mul'),
        node('ReduceMean', ['ab'], ['m'], 'mean', [{ name: 'axes', type: 7, ints: [1], floats: [], strings: [], tensors: [], graphs: [] }]),
        node('ReduceSum', ['m', 'all'], ['loss'], 'sum', [{ name: 'keepdims', type: 2, i: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [] }]),
      ],
      inputs: [value('x', [3, 4])],
      outputs: [value('loss', [])],
      initializers: [floats('W', [4, 6], Array.from({ length: 24 }, (_, i) => Math.sin(i + 1) / 2)), int64s('all', [1], [0])],
    },
    17,
  );
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i) / 3);

  it('trains with bfloat16 weights: the loss and gradient of the float32 model at the bfloat16 weights', async () => {
    const grads: Float32Array[] = [];
    const losses: number[] = [];
    for (const dtype of ['float32', 'bfloat16'] as const) {
      let seen: Float32Array | undefined;
      const trainer = await createOnnxTrainer(bytes, {
        trainable: 'W',
        loss: 'loss',
        dtype,
        optimizer: (p: Params, b: OnnxBackend) => ({
          step: async (g?: Params) => {
            seen = await b.read(g!.get('W')!);
          },
        }),
      });
      if (dtype === 'float32') {
        // the float32 model at the bfloat16 weights: the reference for the bfloat16 run
        const w = (await trainer.weights()).get('W')!;
        const rounded = fromBfloat16Bits(toBfloat16Bits(w));
        await trainer.backend.run(() => trainer.backend.assign(trainer.parameters.get('W')!, trainer.backend.fromArray(rounded, [4, 6])));
      }
      losses.push(await trainer.step({ x }));
      grads.push(seen!);
      await trainer.dispose();
    }
    expect(losses[1]).toBe(losses[0]);
    expect(Array.from(grads[1]!)).toEqual(Array.from(grads[0]!));
  });
});

describe('where a 16-bit weight is widened', () => {
  // h1 = relu(x·W0)·W1, loss = ReduceSum(h1): the float32 copy of W1 is made only once h0 exists,
  // the backward copies only where the gradient nodes first read them
  const bytes = model({
    nodes: [
      node('MatMul', ['x', 'W0'], ['h0'], 'mm0'),
      node('Relu', ['h0'], ['r0'], 'relu'),
      node('MatMul', ['r0', 'W1'], ['h1'], 'mm1'),
      node('ReduceSum', ['h1'], ['loss'], 'sum', [{ name: 'keepdims', type: 2, i: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [] }]),
    ],
    inputs: [value('x', [3, 4])],
    outputs: [value('loss', [])],
    initializers: [floats('W0', [4, 4], Array.from({ length: 16 }, (_, i) => Math.sin(i + 1))), floats('W1', [4, 2], Array.from({ length: 8 }, (_, i) => Math.cos(i)))],
  });

  it('each just before the node that first reads it, from its own input for each pass', async () => {
    const ort = await import('onnxruntime-node');
    const probe = async (b: Uint8Array, feeds: Record<string, InstanceType<typeof ort.Tensor>>) => (await ort.InferenceSession.create(b, { graphOptimizationLevel: 'disabled' })).run(feeds);
    const dtypes = new Map([['W0', 'float16'], ['W1', 'float16']] as const);
    const { buildTrainingGraph } = await import('../../src/training/training-graph.js');
    const graph = await buildTrainingGraph(await OnnxModel.fromBytes(bytes), { trainable: ['W0', 'W1'], loss: 'loss', accumulate: true, dtypes, accumulatorDtypes: dtypes }, probe, ort.Tensor);
    const nodes = decodeModelProto(graph.training).graph!.node;
    const at = (pred: (n: (typeof nodes)[number]) => boolean): number => nodes.findIndex(pred);
    const [w1Forward, w1Backward] = graph.parameterInputs.get('W1')!;
    expect(w1Backward).toBeDefined();
    // the forward widening of W1 comes after mm0 and right before mm1
    const widenW1 = at((n) => n.input.includes(w1Forward!));
    expect(widenW1).toBeGreaterThan(at((n) => n.name === 'mm0'));
    expect(nodes[widenW1 + 1]!.name).toBe('mm1');
    // the backward widening of W1 comes after the forward pass, right before its first reader
    const widenBack = at((n) => n.input.includes(w1Backward!));
    expect(widenBack).toBeGreaterThan(at((n) => n.name === 'sum'));
    expect(nodes[widenBack + 1]!.input).toContain(nodes[widenBack]!.output[0]);
    // the evaluation graph feeds one input per weight
    const evaluation = decodeModelProto(graph.evaluation).graph!;
    expect(evaluation.input.map((i) => i.name)).not.toContain(w1Backward);
    expect(evaluation.node.filter((n) => n.opType === 'Cast').length).toBe(2);
  });

  it('bfloat16: one input per weight, widened for the backward pass by other ops; each accumulation just after its gradient', async () => {
    const ort = await import('onnxruntime-node');
    const probe = async (b: Uint8Array, feeds: Record<string, InstanceType<typeof ort.Tensor>>) => (await ort.InferenceSession.create(b, { graphOptimizationLevel: 'disabled' })).run(feeds);
    const dtypes = new Map([['W0', 'bfloat16'], ['W1', 'bfloat16']] as const);
    const { buildTrainingGraph } = await import('../../src/training/training-graph.js');
    const graph = await buildTrainingGraph(await OnnxModel.fromBytes(bytes), { trainable: ['W0', 'W1'], loss: 'loss', accumulate: true, dtypes, accumulatorDtypes: dtypes }, probe, ort.Tensor);
    const nodes = decodeModelProto(graph.training).graph!.node;
    const at = (pred: (n: (typeof nodes)[number]) => boolean): number => nodes.findIndex(pred);
    expect(graph.parameterInputs.get('W1')).toHaveLength(1);
    const [stored] = graph.parameterInputs.get('W1')!;
    const readers = nodes.filter((n) => n.input.includes(stored!));
    expect(readers.map((n) => n.opType).sort()).toEqual(['BitCast', 'Cast']);
    const shift = at((n) => n.opType === 'BitShift');
    expect(shift).toBeGreaterThan(at((n) => n.name === 'sum'));
    // W1's gradient is computed first (reverse mode): its accumulation comes before W0's gradient
    const accumulate = (w: string) => at((n) => n.opType === 'Add' && n.input.includes(graph.accumulators.get(w)! + '/float32'));
    const gradW0 = at((n) => n.output.includes(nodes[accumulate('W0')]!.input[1]!));
    expect(accumulate('W1')).toBeGreaterThan(0);
    expect(accumulate('W1')).toBeLessThan(gradW0);
  });
});
