import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as ort from 'onnxruntime-node';
import { cosineDecay, createOptimizer, scion, spectral, transformerGroups, type ExecutionMode, type Schedule, type TensorBackend } from '@lmo/core';
import { onnxBackend, type OnnxTensor } from '../src/index.js';
import { nanoGptShapes, pseudoRandom } from '../bench/nanogpt-params.js';

describe('onnxruntime backend: the core optimizer', () => {
  it('compiles each graph once over 1,000 steps with a cosine-scheduled lr', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const small = nanoGptShapes({ vocab: 11, block: 8, layers: 1, width: 8 });
    const params: Record<string, OnnxTensor> = {};
    const grads: Record<string, OnnxTensor> = {};
    small.forEach(([name, shape], i) => {
      const size = shape.reduce((a, d) => a * d, 1);
      params[name] = b.fromArray(pseudoRandom(size, 1 + i), shape);
      grads[name] = b.fromArray(pseudoRandom(size, 100 + i), shape);
    });
    const schedule: Schedule = cosineDecay(1000, 0.1);
    const opt = scion(b, params, { lr: 0.02, schedule, groups: transformerGroups() });
    const step = opt.step(grads);
    expect(step).toBeInstanceOf(Promise);
    await step;
    const sessions = b.stats.sessionsCreated;
    expect(sessions).toBe(1);
    const lrs = new Set<number>();
    for (let i = 1; i < 1000; i++) {
      lrs.add(opt.learningRate('transformer.wte.weight'));
      await opt.step(grads);
    }
    expect(lrs.size).toBeGreaterThan(900);
    expect(opt.stepCount).toBe(1000);
    expect(b.stats.sessionsCreated).toBe(sessions);
    expect(b.stats.runs).toBe(1000);
    expect(await b.allFinite(Object.values(params))).toBe(true);
    await b.close();
    expect(b.stats.sessionsReleased).toBe(sessions);
  });

  it('a failed step leaves parameters and state unchanged', async () => {
    const b = onnxBackend();
    const w = b.fromArray(pseudoRandom(12, 3), [3, 4]);
    const g = b.fromArray(pseudoRandom(12, 4), [3, 4]);
    const opt = createOptimizer(b, { w }, { lr: 0.1, groups: [{ norm: spectral() }] });
    await opt.step({ w: g });
    const before = Float32Array.from(await b.read(w));
    const state = await opt.getState();
    const sessionPrototype = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const spy = vi.spyOn(sessionPrototype, 'run').mockRejectedValueOnce(new Error('out of memory'));
    await expect(opt.step({ w: g })).rejects.toThrow(/out of memory/);
    spy.mockRestore();
    expect(Array.from(await b.read(w))).toEqual(Array.from(before));
    expect(opt.stepCount).toBe(1);
    expect(Array.from((await opt.getState()).parameters[0]!.buffers!.momentum!)).toEqual(Array.from(state.parameters[0]!.buffers!.momentum!));
    await opt.step({ w: g });
    expect(opt.stepCount).toBe(2);
    await b.close();
  });

  it('rejects non-finite gradients (as a rejection) before writing', async () => {
    const b = onnxBackend();
    const w = b.fromArray(pseudoRandom(4, 3), [2, 2]);
    const opt = createOptimizer(b, { w }, { lr: 0.1 });
    const before = Array.from(await b.read(w));
    await expect(opt.step({ w: b.fromArray(Float32Array.of(1, NaN, 0, 1), [2, 2]) })).rejects.toThrow(/NaN.*"w"/);
    expect(opt.stepCount).toBe(0);
    expect(Array.from(await b.read(w))).toEqual(before);
    await b.close();
  });
});

describe('types', () => {
  it('a function generic over TensorBackend<T, M> infers T = OnnxTensor and M = async', () => {
    const tensorOf = <T, M extends ExecutionMode>(b: TensorBackend<T, M>) => ({ tensor: b.zerosLike(b.fromArray(new Float32Array(1), [1])), mode: b.mode });
    const b = onnxBackend();
    expectTypeOf(tensorOf(b).tensor).toEqualTypeOf<OnnxTensor>();
    expectTypeOf(tensorOf(b).mode).toEqualTypeOf<'async'>();
  });
});

