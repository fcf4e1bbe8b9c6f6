/**
 * Peak memory of training with 16-bit weights, on an MLP whose weights dominate its memory
 * (`--layers` square `--width` matrices, ReLU between them, a squared-error loss on `--batch`
 * rows), each measurement in a fresh process, above that process's resident memory just before it
 * (Linux's VmHWM, reset through /proc/self/clear_refs):
 *
 * - **session**: one run of the training session that `createOnnxTrainer` builds for ScionLight (the
 *   gradients added into G inside the graph), fed the stored weights and G: what onnxruntime
 *   allocates for a forward and backward pass (its arena, and the new G it hands back). Variants:
 *   float32; bfloat16 and float16 (each weight cast to float32 separately for the forward and the
 *   backward pass, as the trainer builds it); and bfloat16 with one cast per weight, whose float32
 *   copy lives from the forward pass to the end of the backward pass.
 * - **trainer**: `createOnnxTrainer` and `--steps` steps of ScionLight (spectral norm), everything
 *   in the process: the parameters and buffers, the probe and training sessions, the optimizer's
 *   step graph, what the allocators keep; also the resident memory once the trainer is made, and
 *   the steps' peak above that.
 *
 *   pnpm --filter @lmo/onnxruntime bench:memory [-- --width 2048 --layers 4 --batch 16 --steps 2 --threads 2 --repeat 3 --json FILE]
 *
 * Also: the persistent bytes per parameter (weights and the optimizer's buffers, as stored). Each
 * measurement runs `--repeat` times, each in its own process; the median is reported (onnxruntime's
 * arena grows in steps, so one run can land a step above another).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { Random, scionLight, spectral, type StorageDtype } from '@lmo/core';
import { encodeHalf } from '@lmo/core/backend';
import { decodeModelProto, encodeModelProto, ElemType, type ModelProto, type NodeProto, type ValueInfoProto } from '../src/onnx/schema.js';
import { floatTensor } from '../src/onnx/tensor-data.js';
import { buildTrainingGraph } from '../src/training/training-graph.js';
import { measureFrom, memory } from './proc-memory.js';
import { createOnnxTrainer, onnxBackend, sessionOptions, OnnxModel, type OnnxBackend, type OnnxTensor } from '../src/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    width: { type: 'string', default: '2048' },
    layers: { type: 'string', default: '4' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'string' },
    child: { type: 'string' },
    graph: { type: 'string' },
  },
});
const width = Number(values.width);
const layers = Number(values.layers);
const batch = Number(values.batch);
const steps = Number(values.steps);
const threads = Number(values.threads);
const parameters = layers * width * width;

interface Config {
  readonly label: string;
  readonly kind: 'session' | 'trainer';
  readonly dtype: StorageDtype;
  readonly compensation?: 'kahan';
  /** The session variant with one cast per weight (its forward cast also feeds the backward pass). */
  readonly oneCast?: boolean;
}

const CONFIGS: readonly Config[] = [
  { label: 'session float32', kind: 'session', dtype: 'float32' },
  { label: 'session bfloat16', kind: 'session', dtype: 'bfloat16' },
  { label: 'session bfloat16, one cast', kind: 'session', dtype: 'bfloat16', oneCast: true },
  { label: 'session float16', kind: 'session', dtype: 'float16' },
  { label: 'trainer float32', kind: 'trainer', dtype: 'float32' },
  { label: 'trainer bfloat16', kind: 'trainer', dtype: 'bfloat16' },
  { label: 'trainer bfloat16 kahan', kind: 'trainer', dtype: 'bfloat16', compensation: 'kahan' },
];

/** The MLP's weights (seeded). */
function weights(): Float32Array[] {
  const rng = new Random(1);
  return Array.from({ length: layers }, () => Float32Array.from({ length: width * width }, () => rng.normal() / Math.sqrt(width)));
}

/** The MLP: h ← relu(h·W_l) for all but the last layer, loss = mean((h·W_last − y)²). */
function mlp(): OnnxModel {
  const io = (name: string): ValueInfoProto => ({ name, type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: batch }, { dimValue: width }] } } } });
  const nodes: NodeProto[] = [];
  const node = (opType: string, input: string[], output: string): void => void nodes.push({ opType, input, output: [output], name: output, attribute: [] });
  let h = 'x';
  for (let l = 0; l < layers; l++) {
    node('MatMul', [h, `W${l}`], `h${l}`);
    h = `h${l}`;
    if (l < layers - 1) {
      node('Relu', [h], `r${l}`);
      h = `r${l}`;
    }
  }
  node('Sub', [h, 'y'], 'e');
  node('Mul', ['e', 'e'], 'e2');
  nodes.push({ opType: 'ReduceMean', input: ['e2'], output: ['loss'], name: 'loss', attribute: [{ name: 'keepdims', type: 2, i: 0, floats: [], ints: [], strings: [], tensors: [], graphs: [] }] });
  const proto = {
    irVersion: 8,
    producerName: 'lmo-bench',
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: [],
    functions: [],
    graph: {
      name: 'mlp',
      node: nodes,
      input: [io('x'), io('y')],
      output: [{ name: 'loss', type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [] } } } }],
      initializer: weights().map((w, l) => floatTensor(`W${l}`, [width, width], w)),
      sparseInitializer: [],
      valueInfo: [],
    },
  } as unknown as ModelProto;
  return OnnxModel.fromBytes(encodeModelProto(proto));
}

const data = (): { x: Float32Array; y: Float32Array } => {
  const rng = new Random(2);
  return { x: Float32Array.from({ length: batch * width }, () => rng.normal()), y: Float32Array.from({ length: batch * width }, () => rng.normal()) };
};

/** The training graph `createOnnxTrainer` builds for ScionLight over `dtype` (one cast per weight: its backward inputs folded into the forward ones). */
async function trainingGraph(config: Config): Promise<{ bytes: Uint8Array; inputs: Map<string, string[]>; accumulators: Map<string, string> }> {
  const names = Array.from({ length: layers }, (_, l) => `W${l}`);
  const dtypes = new Map(names.map((n) => [n, config.dtype]));
  const probe = async (bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> => (await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' })).run(feeds);
  const graph = await buildTrainingGraph(mlp(), { trainable: names, loss: 'loss', accumulate: true, dtypes, accumulatorDtypes: dtypes }, probe, ort.Tensor);
  const inputs = new Map([...graph.parameterInputs].map(([n, i]) => [n, [...i]]));
  if (!config.oneCast) return { bytes: graph.training, inputs, accumulators: new Map(graph.accumulators) };
  const model = decodeModelProto(graph.training);
  const folded = new Map<string, string>();
  for (const [n, [forward, backward]] of inputs) {
    if (backward !== undefined) folded.set(backward, forward!);
    inputs.set(n, [forward!]);
  }
  for (const node of model.graph!.node) node.input = node.input.map((x) => folded.get(x) ?? x);
  model.graph!.input = model.graph!.input.filter((i) => !folded.has(i.name ?? ''));
  return { bytes: encodeModelProto(model), inputs, accumulators: new Map(graph.accumulators) };
}

const FEED = { float32: 'float32', float16: 'float16', bfloat16: 'uint16' } as const;

async function sessionChild(config: Config, file: string): Promise<Record<string, number | string>> {
  const { bytes, inputs, accumulators } = JSON.parse(readFileSync(file, 'utf8'), (k, v) => (k === 'bytes' ? Uint8Array.from(Buffer.from(v as string, 'base64')) : k === 'inputs' || k === 'accumulators' ? new Map(v as never) : v)) as Awaited<ReturnType<typeof trainingGraph>>;
  const session = await ort.InferenceSession.create(bytes, sessionOptions({ intraOpNumThreads: threads }));
  const stored = (values: Float32Array): Float32Array | Uint16Array => (config.dtype === 'float32' ? values : encodeHalf(values, config.dtype));
  const feeds: Record<string, ort.Tensor> = {};
  const { x, y } = data();
  feeds['x'] = new ort.Tensor('float32', x, [batch, width]);
  feeds['y'] = new ort.Tensor('float32', y, [batch, width]);
  weights().forEach((w, l) => {
    const array = stored(w) as Float32Array;
    for (const input of inputs.get(`W${l}`)!) feeds[input] = new ort.Tensor(FEED[config.dtype], array, [width, width]);
    feeds[accumulators.get(`W${l}`)!] = new ort.Tensor(FEED[config.dtype], stored(new Float32Array(width * width)) as Float32Array, [width, width]);
  });
  const from = measureFrom();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = Number(((await session.run(feeds))['loss']!.data as Float32Array)[0]);
  const peak = memory().peak - from.rss;
  await session.release();
  return { config: config.label, persistentBytesPerParameter: config.dtype === 'float32' ? 8 : 4, peakMiB: Math.round(peak), peakBytesPerParameter: Number(((peak * 2 ** 20) / parameters).toFixed(2)), loss: Number(loss.toFixed(4)) };
}

async function trainerChild(config: Config): Promise<Record<string, number | string>> {
  const model = mlp();
  const backend = onnxBackend({ intraOpNumThreads: threads });
  const batchData = data();
  const from = measureFrom();
  const trainer = await createOnnxTrainer(model, {
    trainable: 'W*',
    loss: 'loss',
    dtype: config.dtype,
    backend,
    optimizer: (p: ReadonlyMap<string, OnnxTensor>, b: OnnxBackend) =>
      scionLight(b, p, { lr: 2 ** -8, norm: spectral(), unconstrained: true, bufferDtype: config.dtype, ...(config.compensation !== undefined ? { compensation: config.compensation } : {}) }),
  });
  const made = memory();
  const stepFrom = measureFrom();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = await trainer.step(batchData);
  const after = memory();
  const peak = Math.max(made.peak, after.peak) - from.rss;
  const persistent = (trainer.optimizer.parameterBytes + trainer.optimizer.ownedBytes) / parameters;
  await trainer.dispose();
  return {
    config: config.label,
    persistentBytesPerParameter: persistent,
    peakMiB: Math.round(peak),
    peakBytesPerParameter: Number(((peak * 2 ** 20) / parameters).toFixed(2)),
    madeMiB: Math.round(made.rss - from.rss),
    stepsPeakMiB: Math.round(after.peak - stepFrom.rss),
    loss: Number(loss.toFixed(4)),
  };
}

const shared = ['--width', String(width), '--layers', String(layers), '--batch', String(batch), '--steps', String(steps), '--threads', String(threads)];

if (values.child !== undefined) {
  const config = CONFIGS.find((c) => c.label === values.child)!;
  const row = config.kind === 'session' ? await sessionChild(config, values.graph!) : await trainerChild(config);
  process.stdout.write(`${JSON.stringify(row)}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'lmo-memory-'));
  const rows: Array<Record<string, number | string>> = [];
  console.log(`MLP ${layers} × [${width}, ${width}] (${(parameters / 1e6).toFixed(1)}M parameters), batch ${batch}, ${steps} steps, ${threads} threads; peak resident memory above the process's before it`);
  for (const config of CONFIGS) {
    const args = [...process.execArgv, self, '--child', config.label, ...shared];
    if (config.kind === 'session') {
      const graph = await trainingGraph(config);
      const file = join(dir, `${config.label.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(graph, (k, v) => (k === 'bytes' ? Buffer.from(v as Uint8Array).toString('base64') : v instanceof Map ? [...v] : v)));
      args.push('--graph', file);
    }
    const runs = Array.from({ length: Number(values.repeat) }, () => JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n').pop()!) as Record<string, number | string>);
    const row = runs.sort((a, b) => Number(a['peakMiB']) - Number(b['peakMiB']))[runs.length >> 1]!;
    row['peakMiBRuns'] = runs.map((r) => r['peakMiB']).join(', ');
    rows.push(row);
    const phases = row['madeMiB'] === undefined ? '' : `   (made ${row['madeMiB']} MiB, then the steps' peak ${row['stepsPeakMiB']} MiB above that)`;
    console.log(`${String(row['config']).padEnd(27)} persistent ${String(row['persistentBytesPerParameter']).padStart(2)} B/param   peak ${String(row['peakMiB']).padStart(5)} MiB (${String(row['peakBytesPerParameter']).padStart(5)} B/param; runs ${row['peakMiBRuns']})   loss ${row['loss']}${phases}`);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ width, layers, batch, steps, threads, rows }, null, 2)}\n`);
}
