// The shape probe: it runs the model with zeros made in the graph in place of the trainable
// initializers, and must learn what a run with their values teaches (every value's type and
// shape, and the contents of the values that do not depend on them), without loading the values.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxModel } from '../../src/index.js';
import { decodeModelProto, encodeModelProto } from '../../src/onnx/schema.js';
import { ELEM_TYPES } from '../../src/onnx/tensor-data.js';
import { probeFacts, staticShape, type ProbeRun } from '../../src/training/facts.js';
import { torchFixture } from '../helpers/fixtures.js';
import { model as modelBytes, node, value } from '../helpers/models.js';

const zeros = (type: string, n: number) => (type === 'int64' ? new BigInt64Array(n) : new Float32Array(n));

/** Every node output of the model run with its own initializers' values, on zero inputs. */
async function fullRun(model: OnnxModel): Promise<Record<string, ort.Tensor>> {
  const proto = model.proto;
  const outputs = model.graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
  const session = await ort.InferenceSession.create(encodeModelProto({ ...proto, graph: { ...proto.graph!, output: outputs.map((name) => ({ name })) } }), { graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, input] of model.graph.inputs) {
    const { dtype, shape } = staticShape(input);
    const type = Object.entries(ELEM_TYPES).find(([, e]) => e === dtype)![0] as 'float32';
    feeds[name] = new ort.Tensor(type, zeros(type, shape.reduce((a, d) => a * d, 1)) as Float32Array, [...shape]);
  }
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('the shape probe', () => {
  for (const [fixture, trainable] of [
    ['gpt', (n: string) => n.startsWith('transformer.h.')],
    ['gpt', () => true],
    ['mlp', () => true],
    ['cnn', (n: string) => n.includes('weight')],
  ] as const) {
    it(`learns what a run with the weights would (${fixture}), without loading the trainable ones`, async () => {
      const model = OnnxModel.fromBytes(readFileSync(torchFixture(fixture, 'model.onnx')));
      const names = new Set([...model.graph.initializers.keys()].filter(trainable));
      let probed: Uint8Array | undefined;
      const run: ProbeRun = async (bytes, feeds) => {
        probed = bytes;
        const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
        try {
          return await s.run(feeds);
        } finally {
          await s.release();
        }
      };
      const facts = await probeFacts(model.proto, model.graph, (n) => !names.has(n), run, ort.Tensor);
      const full = await fullRun(model);
      let checked = 0;
      for (const node of model.graph.nodes) {
        for (const o of node.outputs.filter((x) => x !== '')) {
          const info = facts.info(o);
          expect([o, info.dtype, info.shape]).toEqual([o, ELEM_TYPES[full[o]!.type], full[o]!.dims.map(Number)]);
          const contents = facts.constant(o);
          if (contents !== undefined) expect(contents).toEqual(Array.from(full[o]!.data as ArrayLike<number | bigint>, Number));
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(4);
      // the probed model holds none of the trainable initializers: it is smaller than their bytes
      const trainableBytes = [...names].reduce((n, name) => n + model.graph.initializers.get(name)!.dims.reduce((a, d) => a * Number(d), 4), 0);
      const probedInitializers = decodeModelProto(probed!).graph!.initializer.map((t) => t.name);
      for (const name of names) expect(probedInitializers).not.toContain(name);
      expect(probed!.byteLength).toBeLessThan(model.bytes.byteLength - trainableBytes + 64 * 1024);
    });
  }

  // Linux's peak resident memory (VmHWM, reset through /proc/self/clear_refs)
  it.skipIf(!existsSync('/proc/self/clear_refs'))('holds the values of a run a few at a time, each freed after its last use, not all until the end', async () => {
    // a chain of 16 elementwise ops on a 16 MiB input: 256 MiB of values, of which a run needs two or three at once
    const ops = Array.from({ length: 16 }, (_, i) => node(i % 2 === 0 ? 'Neg' : 'Abs', [i === 0 ? 'x' : `y${i - 1}`], [`y${i}`], `op${i}`));
    const chain = OnnxModel.fromBytes(modelBytes({ nodes: ops, inputs: [value('x', [2048, 2048])], outputs: [value('y15', [2048, 2048])] }));
    const peakMiB = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
    const rssMiB = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
    let rise = Infinity;
    const run: ProbeRun = async (bytes, feeds) => {
      const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', enableMemPattern: false });
      try {
        const before = rssMiB();
        writeFileSync('/proc/self/clear_refs', '5');
        const out = await s.run(feeds);
        rise = peakMiB() - before;
        return out;
      } finally {
        await s.release();
      }
    };
    const facts = await probeFacts(chain.proto, chain.graph, () => true, run, ort.Tensor);
    expect(facts.info('y15').shape).toEqual([2048, 2048]);
    expect(rise).toBeLessThan(128);
  });
});
