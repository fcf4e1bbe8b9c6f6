// The trainer with core's optimizers: every preset trains; ScionLight's accumulating graph gives
// what core's own accumulation gives; steps queue; trainable selection; no leaks over many steps.
import { muon, normalizedSGD, scion, scionLight, signSGD, transformerGroups, unconstrainedScion, type LmoOptimizer } from '@lmo/core';
import { describe, expect, it, vi } from 'vitest';
import { createOnnxTrainer, loadOnnxModel, onnxBackend, type OnnxBackend, type OnnxTensor, type OnnxTrainerOptions } from '../../src/index.js';
import { torchFixture } from '../helpers/fixtures.js';
import { gptBatches } from '../helpers/safetensors.js';

type Params = ReadonlyMap<string, OnnxTensor>;
type Factory = (params: Params, backend: OnnxBackend) => LmoOptimizer<OnnxTensor, 'async'>;


async function gptTrainer<O extends { step: (g?: never) => unknown }>(optimizer: OnnxTrainerOptions<O>['optimizer'], extra: Partial<OnnxTrainerOptions<O>> = {}) {
  return createOnnxTrainer(await loadOnnxModel(torchFixture('gpt', 'model.onnx')), { trainable: '*', loss: 'loss', optimizer, ...extra });
}

describe('core presets on a PyTorch-exported GPT', () => {
  const groups = () => transformerGroups();
  const presets: Record<string, Factory> = {
    scion: (p, b) => scion(b, p, { lr: 2 ** -6, groups: groups() }),
    unconstrainedScion: (p, b) => unconstrainedScion(b, p, { lr: 2 ** -8, groups: groups() }),
    scionLight: (p, b) => scionLight(b, p, { lr: 2 ** -8, groups: groups(), unconstrained: true }),
    muon: (p, b) => muon(b, p, { lr: 0.02 }),
    signSGD: (p, b) => signSGD(b, p, { lr: 1e-3 }),
    normalizedSGD: (p, b) => normalizedSGD(b, p, { lr: 0.1 }),
  };
  for (const [name, make] of Object.entries(presets)) {
    it(`${name} lowers the loss over 12 steps`, async () => {
      const batch = gptBatches();
      const trainer = await gptTrainer(make);
      expect(trainer.accumulates).toBe(name === 'scionLight');
      const losses: number[] = [];
      for (let s = 0; s < 12; s++) losses.push(await trainer.step(batch(s % 4)));
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(await trainer.evaluate(batch(0))).toBeLessThan(losses[0]!);
      await trainer.dispose();
    });
  }
});

describe("ScionLight's accumulating training graph", () => {
  it('gives the weights core gives when it adds the gradients itself (G ← G + g inside step)', async () => {
    const batch = gptBatches();
    const make: Factory = (p, b) => scionLight(b, p, { lr: 2 ** -8, groups: transformerGroups(), unconstrained: true });
    const accumulating = await gptTrainer(make);
    // The same optimizer behind a view without `gradients`: the trainer hands it ∂L through step(grads).
    const plain = await gptTrainer((p, b) => {
      const inner = make(p, b);
      return { step: (g?: Params) => inner.step(g), dispose: () => inner.dispose() };
    });
    expect(accumulating.accumulates).toBe(true);
    expect(plain.accumulates).toBe(false);
    for (let s = 0; s < 5; s++) expect(await accumulating.step(batch(s))).toBeCloseTo(await plain.step(batch(s)), 5);
    const [a, b] = [await accumulating.weights(), await plain.weights()];
    for (const [name, w] of a) {
      const other = b.get(name)!;
      const diff = Math.max(...w.map((v, i) => Math.abs(v - other[i]!)));
      expect(diff, name).toBeLessThan(1e-5);
    }
    await Promise.all([accumulating.dispose(), plain.dispose()]);
  });
});

describe('steps', () => {
  it('queue: steps issued without awaiting give the losses awaited steps give', async () => {
    const batch = gptBatches();
    const make: Factory = (p, b) => unconstrainedScion(b, p, { lr: 2 ** -8, groups: transformerGroups() });
    const [a, b] = [await gptTrainer(make), await gptTrainer(make)];
    const awaited: number[] = [];
    for (let s = 0; s < 4; s++) awaited.push(await a.step(batch(s)));
    const issued = await Promise.all([0, 1, 2, 3].map((s) => b.step(batch(s))));
    expect(issued).toEqual(awaited);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('evaluate gives the loss the next step computes', async () => {
    const batch = gptBatches();
    const trainer = await gptTrainer((p, b) => unconstrainedScion(b, p, { lr: 2 ** -8, groups: transformerGroups() }));
    await trainer.step(batch(0));
    const before = await trainer.evaluate(batch(1));
    expect(await trainer.step(batch(1))).toBeCloseTo(before, 6);
    await trainer.dispose();
  });

  it('feeds are checked before the step: a missing or misshapen input changes nothing', async () => {
    const batch = gptBatches();
    const trainer = await gptTrainer((p, b) => unconstrainedScion(b, p, { lr: 2 ** -8, groups: transformerGroups() }));
    const before = await trainer.weights();
    await expect(trainer.step({ idx: batch(0).idx })).rejects.toThrow(/input "targets" \(int64 \[4, 16\]\) is missing/);
    await expect(trainer.step({ ...batch(0), idx: new BigInt64Array(3) })).rejects.toThrow(/input "idx" needs 64 values/);
    await expect(trainer.step({ ...batch(0), extra: [1] })).rejects.toThrow(/no input "extra"/);
    expect(await trainer.weights()).toEqual(before);
    expect(trainer.optimizer.stepCount).toBe(0);
    await trainer.dispose();
  });
});

describe('trainable selection', () => {
  it('by exact name, glob, RegExp and predicate; the rest stays frozen in the graph', async () => {
    const model = await loadOnnxModel(torchFixture('gpt', 'model.onnx'));
    const make = (trainable: OnnxTrainerOptions<never>['trainable']) =>
      createOnnxTrainer(model, { trainable, loss: 'loss', optimizer: (p, b) => unconstrainedScion(b, p, { lr: 2 ** -8 }) });
    const cases: Array<[OnnxTrainerOptions<never>['trainable'], string[]]> = [
      ['transformer.h.1.mlp.c_proj.weight', ['transformer.h.1.mlp.c_proj.weight']],
      ['transformer.h.1.*', ['transformer.h.1.ln_1.weight', 'transformer.h.1.attn.c_attn.weight', 'transformer.h.1.attn.c_proj.weight', 'transformer.h.1.ln_2.weight', 'transformer.h.1.mlp.c_fc.weight', 'transformer.h.1.mlp.c_proj.weight']],
      [/ln_f|wte/, ['transformer.wte.weight', 'transformer.ln_f.weight']],
      [[(name: string, info: { shape: readonly (number | string)[] }) => info.shape.length === 1 && name.startsWith('transformer.h.0')], ['transformer.h.0.ln_1.weight', 'transformer.h.0.ln_2.weight']],
    ];
    const batch = gptBatches();
    for (const [spec, names] of cases) {
      const trainer = await make(spec);
      expect([...trainer.parameters.keys()]).toEqual(names);
      expect(Number.isFinite(await trainer.step(batch(0)))).toBe(true);
      await trainer.dispose();
    }
  });
});

describe('no leaks', () => {
  it('sessions and live tensors stay flat over 300 steps', async () => {
    const batch = gptBatches();
    const backend = onnxBackend();
    // Tensors adopted (the parameters, each step's gradients) and not disposed yet.
    const adopted = new Set<OnnxTensor>();
    const adopt = backend.adopt.bind(backend);
    vi.spyOn(backend, 'adopt').mockImplementation((data, shape) => {
      const t = adopt(data, shape);
      adopted.add(t);
      return t;
    });
    const dispose = backend.dispose.bind(backend) as (x?: OnnxTensor) => void;
    vi.spyOn(backend, 'dispose').mockImplementation((x?: OnnxTensor) => {
      if (x !== undefined) adopted.delete(x);
      dispose(x);
    });
    const trainer = await gptTrainer((p, b) => unconstrainedScion(b, p, { lr: 2 ** -10, groups: transformerGroups() }), { backend });
    const live = () => adopted.size;
    for (let s = 0; s < 5; s++) await trainer.step(batch(s % 50));
    const sessions = backend.sessionCount;
    const created = backend.stats.sessionsCreated;
    const tensors = live();
    for (let s = 5; s < 300; s++) await trainer.step(batch(s % 50));
    expect(backend.sessionCount).toBe(sessions);
    expect(backend.stats.sessionsCreated).toBe(created);
    expect(live()).toBe(tensors);
    await trainer.dispose(); // releases the training session; the optimizer's compiled step stays with the backend
    expect(backend.sessionCount).toBe(sessions - 1);
    expect(live()).toBe(0);
    await backend.close();
    expect(backend.sessionCount).toBe(0);
  }, 120_000);
});
