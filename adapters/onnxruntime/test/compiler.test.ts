import { describe, expect, it, vi } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ProtoWriter } from '../src/onnx/proto.js';
import { traceGraph } from '../src/graph/builder.js';
import { Leaf, OpNode, ScalarInput } from '../src/graph/nodes.js';
import { onnxBackend } from '../src/index.js';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('protobuf writer', () => {
  it('encodes varints, negative int64, floats, strings and nested messages', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('08 96 01');
    expect(hex(new ProtoWriter().int(2, -1).finish())).toBe('10 ff ff ff ff ff ff ff ff ff 01');
    expect(hex(new ProtoWriter().int(3, 2 ** 40).finish())).toBe('18 80 80 80 80 80 20');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('15 00 00 80 3f');
    expect(hex(new ProtoWriter().string(4, 'Add').finish())).toBe('22 03 41 64 64');
    expect(hex(new ProtoWriter().message(7, (w) => w.int(1, 1)).finish())).toBe('3a 02 08 01');
    const big = new ProtoWriter();
    for (let i = 0; i < 1000; i++) big.int(1, i);
    expect(big.finish().length).toBeGreaterThan(1000);
  });
});

describe('graph tracing', () => {
  const data = new Float32Array(6);
  const graph = (s: number, shape: number[] = [2, 3]) => {
    const x = new Leaf(data, shape);
    const y = new OpNode('Mul', [x, new ScalarInput(s)], shape);
    return traceGraph([new OpNode('Add', [y, x], shape)]);
  };

  it('keys by structure and shape, never by numbers', () => {
    expect(graph(0.5).key).toBe(graph(-3).key);
    expect(graph(0.5).key).not.toBe(graph(0.5, [3, 2]).key);
    const g = graph(0.5);
    expect(g.feeds).toHaveLength(1); // the leaf once
    expect(Array.from(g.scalars)).toEqual([0.5]);
    expect(g.build().nodes.map((n) => n.opType)).toEqual(['Split', 'Mul', 'Add']);
  });

  it('builds a traced graph as traced, after its nodes were traced again elsewhere', () => {
    const x = new Leaf(data, [2, 3]);
    const s = new ScalarInput(2);
    const y = new OpNode('Mul', [x, s], [2, 3]);
    const first = traceGraph([new OpNode('Add', [y, x], [2, 3])]);
    const before = first.key;
    // the same nodes at other positions of a second trace (a leaf and an op shared by two graphs)
    const other = new Leaf(new Float32Array(6), [2, 3]);
    const second = traceGraph([new OpNode('Sub', [other, new OpNode('Mul', [y, new ScalarInput(3)], [2, 3])], [2, 3])]);
    expect(second.key).not.toBe(before);
    expect(first.key).toBe(before);
    const nodes = first.build().nodes;
    expect(nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual([
      ['Split', ['scalars', expect.any(String)], ['v1']],
      ['Mul', ['v0', 'v1'], ['v2']],
      ['Add', ['v2', 'v0'], ['v3']],
    ]);
    expect(first.inputNames).toEqual(['v0']);
    expect(first.outputNames).toEqual(['v3']);
    expect(traceGraph([new OpNode('Add', [y, x], [2, 3])]).key).toBe(before);
  });

  it('handles deep chains without recursion', () => {
    let node: Leaf | OpNode = new Leaf(new Float32Array(1), [1, 1]);
    for (let i = 0; i < 20_000; i++) node = new OpNode('Abs', [node], [1, 1]);
    expect(traceGraph([node as OpNode]).feeds).toHaveLength(1);
  });
});

describe('overlapping runs', () => {
  it('two steps started without awaiting give the sequential result', async () => {
    const b = onnxBackend();
    const p = b.fromArray(Float32Array.of(1, 2), [1, 2]);
    const first = b.run(() => b.assign(p, b.scale(p, 2)));
    const second = b.run(() => b.assign(p, b.addScalar(p, 1)));
    await Promise.all([first, second]);
    expect(Array.from(await b.read(p))).toEqual([3, 5]);
    await b.close();
  });
});

describe('reads during a failing run', () => {
  it('a read waiting on a failed step returns the old values', async () => {
    const b = onnxBackend();
    const p = b.fromArray(Float32Array.of(1, 2), [1, 2]);
    const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const spy = vi.spyOn(proto, 'run').mockRejectedValueOnce(new Error('boom'));
    const step = b.run(() => b.assign(p, b.scale(p, 2)));
    const read = b.read(p);
    await expect(step).rejects.toThrow(/boom/);
    expect(Array.from(await read)).toEqual([1, 2]);
    spy.mockRestore();
    await b.close();
  });
});

describe('packed scalars', () => {
  it('keep exact ranks for 0-D and 1-D targets', async () => {
    const b = onnxBackend();
    const s = b.fromArray(Float32Array.of(2), []);
    const v = b.fromArray(Float32Array.of(1, 2, 3), [3]);
    const outS = b.zerosLike(s);
    const outV = b.zerosLike(v);
    await b.run(() => {
      b.assign(outS, b.reshape(b.addScalar(b.scale(b.reshape(s, [1, 1]), 3), 1), []));
      b.assign(outV, b.reshape(b.scale(b.reshape(v, [1, 3]), -1), [3]));
    });
    expect(Array.from(await b.read(outS))).toEqual([7]);
    expect(Array.from(await b.read(outV))).toEqual([-1, -2, -3]);
    await b.close();
  });
});

describe('the scalar Split tree', () => {
  // onnxruntime-web's WebGPU kernels bind each input and output as a storage buffer (8 per stage).
  it.each([1, 7, 8, 48, 49, 50, 343, 400])('splits %i scalars with at most 7 outputs per Split', (k) => {
    const x = new Leaf(new Float32Array(1), [1, 1]);
    const outs = Array.from({ length: k }, () => new OpNode('Add', [x, new ScalarInput(1)], [1, 1]));
    const nodes = traceGraph(outs).build().nodes;
    const splits = nodes.filter((n) => n.opType === 'Split');
    for (const split of splits) expect(split.outputs.length).toBeLessThanOrEqual(7);
    // every scalar is a leaf of the tree exactly once, and is what its Add reads
    const produced = splits.flatMap((n) => n.outputs);
    const read = nodes.filter((n) => n.opType === 'Add').map((n) => n.inputs[1]!);
    expect(new Set(read).size).toBe(k);
    for (const name of read) expect(produced.filter((p) => p === name)).toHaveLength(1);
  });

  it.each([8, 50, 400])('delivers each of %i scalars to its own op', async (k) => {
    const b = onnxBackend();
    const x = b.fromArray(Float32Array.of(0), [1, 1]);
    const outs = Array.from({ length: k }, () => b.zerosLike(x));
    await b.run(() => outs.forEach((o, i) => b.assign(o, b.addScalar(x, i + 0.5))));
    const got = await Promise.all(outs.map(async (o) => (await b.read(o))[0]));
    expect(got).toEqual(outs.map((_, i) => i + 0.5));
    await b.close();
  });
});

describe('disposed tensors', () => {
  it('throw a BACKEND error when used', () => {
    const b = onnxBackend();
    const v = b.fromArray(Float32Array.of(1, 2), [1, 2]);
    b.dispose(v);
    expect(() => b.scale(v, 2)).toThrow(/after dispose/);
    expect(() => b.read(v)).toThrow(/after dispose/);
    expect(b.isTensor(v)).toBe(false);
  });
});

describe('nested runs', () => {
  it('join the outer run', async () => {
    const b = onnxBackend();
    const p = b.fromArray(Float32Array.of(1, 2), [1, 2]);
    let inner: Promise<boolean> | undefined;
    await b.run(() => {
      inner = b.run(() => b.assign(p, b.scale(p, 2)));
      b.assign(p, b.addScalar(p, 1)); // sees the inner assignment
    });
    await inner;
    expect(Array.from(await b.read(p))).toEqual([3, 5]);
    expect(b.stats.runs).toBe(1);
    await b.close();
  });
});

describe('session options', () => {
  const recording = () => {
    const seen: ort.InferenceSession.SessionOptions[] = [];
    const create = (model: Uint8Array, options: ort.InferenceSession.SessionOptions) => {
      seen.push(options);
      return ort.InferenceSession.create(model, options);
    };
    return { seen, api: { ...ort, InferenceSession: { create } } as unknown as typeof ort };
  };
  const oneRun = async (b: ReturnType<typeof onnxBackend>) => {
    const p = b.fromArray(Float32Array.of(1), [1, 1]);
    await b.run(() => b.assign(p, b.scale(p, 2)));
    await b.close();
  };

  it('log errors only by default, with the providers, threads and level asked for', async () => {
    const { seen, api } = recording();
    await oneRun(onnxBackend({ ort: api, intraOpNumThreads: 1, graphOptimizationLevel: 'basic' }));
    expect(seen).toEqual([
      expect.objectContaining({ executionProviders: ['cpu'], graphOptimizationLevel: 'basic', intraOpNumThreads: 1, logSeverityLevel: 3 }),
    ]);
  });

  it('sessionOptions override every default', async () => {
    const { seen, api } = recording();
    await oneRun(onnxBackend({ ort: api, sessionOptions: { logSeverityLevel: 2, graphOptimizationLevel: 'disabled' } }));
    expect(seen[0]).toMatchObject({ logSeverityLevel: 2, graphOptimizationLevel: 'disabled' });
  });
});
