/**
 * How the onnxruntime backend computes: the {@link DeferredEngine} that turns a recorded scope
 * into one ONNX graph (compiled once per structure), runs it, and hands back the outputs to commit.
 */
import { LmoError, type Shape, type StorageDtype } from '@lmo/core';
import { decodeHalf, encodeHalf, roundStochastic, type DeferredEngine, type Execution, type RecordedWrite } from '@lmo/core/backend';
import type * as ort from 'onnxruntime-common';
import { SCALARS_INPUT, traceGraph } from './graph/builder.js';
import { Leaf, OpNode, Variable, sizeOf, type GraphNode, type HostData, type OnnxTensor } from './graph/nodes.js';
import { encodeModel } from './onnx/model.js';
import type { OnnxBackendStats, OrtApi, SessionCache } from './session-cache.js';

const PRODUCER_VERSION = '0.2.0';

/** A tensor as a graph input or output: CPU data, or a node to compute. */
export type Resolved = Leaf | OpNode;

/** `onnxruntime backend: …` as a `BACKEND` error, with the engine's error as its cause. */
export function backendError(message: string, cause?: unknown): LmoError {
  const error = new LmoError('BACKEND', `onnxruntime backend: ${message}`);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** Whether an array of `dtype` holds no NaN or ±Inf (16-bit ones judged by their exponent bits). */
function isFiniteArray(data: HostData, dtype: StorageDtype = 'float32'): boolean {
  if (dtype === 'float32') {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
    return true;
  }
  const exponent = dtype === 'bfloat16' ? 0x7f80 : 0x7c00;
  for (let i = 0; i < data.length; i++) if ((data[i]! & exponent) === exponent) return false;
  return true;
}

/** `data` (of `from`) as an array of `to`: the same array, widened exactly, or rounded to nearest even. */
export function convert(data: HostData, from: StorageDtype, to: StorageDtype): HostData {
  if (from === to) return data;
  const values = from === 'float32' ? (data as Float32Array) : decodeHalf(data as Uint16Array, from);
  return to === 'float32' ? values : encodeHalf(values, to);
}

/** The onnxruntime tensor type a dtype is fed and fetched as (bfloat16 as its bits). */
export const FEED_TYPE = { float32: 'float32', float16: 'float16', bfloat16: 'uint16' } as const;

/** An output's data as the array its dtype is kept in (a `Float16Array`, where onnxruntime returns one, viewed as bits). */
export function outputData(data: unknown, dtype: StorageDtype, size: number): HostData | undefined {
  if (dtype === 'float32') return data instanceof Float32Array && data.length === size ? data : undefined;
  if (!ArrayBuffer.isView(data) || (data as Uint16Array).BYTES_PER_ELEMENT !== 2 || (data as Uint16Array).length !== size) return undefined;
  return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, size);
}

/**
 * The stochastic `Round` node that `n` is, or reshapes (the same row-major values): rounded on the
 * host once its input is computed.
 */
function stochastic(n: Resolved): OpNode | undefined {
  let x: GraphNode = n;
  while (x instanceof OpNode && x.op === 'Reshape') x = x.inputs[0]!;
  return x instanceof OpNode && x.op === 'Round' && x.attributes.round?.seed !== undefined ? x : undefined;
}

/** Runs graphs for one backend: evaluation of nodes, and the deferred engine of its scopes. */
export class GraphRunner implements DeferredEngine<OnnxTensor, undefined> {
  constructor(
    private readonly api: OrtApi,
    private readonly cache: SessionCache,
    private readonly stats: OnnxBackendStats,
    /** The node a tensor stands for at the time of the call (a variable's current data). */
    private readonly resolve: (x: OnnxTensor) => Resolved,
  ) {}

  open(): undefined {
    return undefined;
  }

  close(): void {}

  /**
   * One graph computes every written value and every guard tensor that is not already on the
   * CPU; a guard that fails on CPU data vetoes the scope before anything runs.
   */
  async execute(writes: readonly RecordedWrite<OnnxTensor>[], guard: readonly OnnxTensor[]): Promise<Execution> {
    const guards = guard.map((g) => this.resolve(g));
    for (const g of guards) if (g instanceof Leaf && !isFiniteArray(g.data, g.dtype)) return { finite: false, commit: () => {} };
    const lazyGuards = guards.filter((g): g is OpNode => g instanceof OpNode);
    const values = writes.map((w) => w.value as Resolved);
    // each value comes as its target stores it: a 16-bit one rounded to nearest even in the graph
    const computed = await this.evaluate([...values, ...lazyGuards], writes.map((w) => (w.target as Variable).dtype));
    if (!computed.slice(values.length).every((v) => isFiniteArray(v))) return { finite: false, commit: () => {} };
    return {
      finite: true,
      commit: () => {
        writes.forEach((w, i) => (w.target as Variable).replace(computed[i]!));
      },
    };
  }

  /**
   * `HostArrays.run` in its turn: `fn` over the inputs' float32 values (16-bit ones widened), and
   * its arrays into the targets (a 16-bit target's rounded to nearest even, as an assign does).
   */
  async runOnHost(inputs: readonly Resolved[], targets: readonly Variable[], fn: (arrays: readonly Float32Array[]) => readonly Float32Array[] | undefined): Promise<boolean> {
    const out = fn((await this.evaluate(inputs)) as Float32Array[]);
    if (out === undefined) return false;
    if (out.length !== targets.length) throw backendError(`host.run: the function returned ${out.length} arrays for ${targets.length} targets`);
    out.forEach((a, i) => {
      if (!(a instanceof Float32Array) || a.length !== sizeOf(targets[i]!.shape)) {
        throw new LmoError('SHAPE_MISMATCH', `onnxruntime backend: host.run: the array for targets[${i}] must be a Float32Array of ${sizeOf(targets[i]!.shape)} values`);
      }
    });
    const stored = out.map((a, i) => convert(a, 'float32', targets[i]!.dtype));
    targets.forEach((t, i) => t.replace(stored[i]!));
    return true;
  }

  /**
   * The values of `nodes` (row-major) as arrays of `dtypes` (float32 where absent); op nodes are
   * computed by one graph run, a stochastic `Round` as its input's value rounded on the host.
   */
  async evaluate(nodes: readonly Resolved[], dtypes: readonly StorageDtype[] = []): Promise<HostData[]> {
    const dtypeOf = (k: number): StorageDtype => dtypes[k] ?? 'float32';
    // what the graph computes: each op node (a stochastic Round: its input) once per dtype asked of it
    const wanted = nodes.map((n, k): [OpNode, StorageDtype] | undefined => {
      const round = stochastic(n);
      if (round !== undefined) return round.inputs[0] instanceof OpNode ? [round.inputs[0], 'float32'] : undefined;
      return n instanceof OpNode ? [n, dtypeOf(k)] : undefined;
    });
    const pairs = new Map<string, [OpNode, StorageDtype]>();
    const ids = new Map<OpNode, number>();
    const keyOf = ([op, dtype]: [OpNode, StorageDtype]): string => `${ids.get(op) ?? ids.set(op, ids.size).get(op)!}:${dtype}`;
    for (const w of wanted) if (w !== undefined) pairs.set(keyOf(w), w);
    const results = new Map<string, HostData>();
    const ops = [...pairs.values()];
    if (ops.length > 0) {
      const traced = traceGraph(ops.map(([op]) => op), ops.map(([, dtype]) => dtype));
      let outputs: ort.InferenceSession.ReturnType;
      try {
        const session = await this.cache.get(traced.key, () => encodeModel(traced.build(), PRODUCER_VERSION, traced.opset));
        const feeds: Record<string, ort.Tensor> = {};
        const { Tensor } = this.api;
        traced.feeds.forEach((f, i) => {
          feeds[traced.inputNames[i]!] = new Tensor(FEED_TYPE[f.dtype], f.data as Float32Array, [...f.shape]);
        });
        if (traced.scalars.length > 0) feeds[SCALARS_INPUT] = new Tensor('float32', traced.scalars, [traced.scalars.length]);
        const started = performance.now();
        outputs = await session.run(feeds);
        this.stats.runMs += performance.now() - started;
      } catch (error) {
        throw backendError(`graph execution failed: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      this.stats.runs++;
      ops.forEach(([op, dtype], i) => {
        const data = outputData(outputs[traced.outputNames[i]!]?.data, dtype, sizeOf(op.shape));
        if (data === undefined) throw backendError(`graph output ${i} is missing or malformed`);
        results.set(keyOf([op, dtype]), data);
      });
    }
    return nodes.map((n, k) => {
      if (n instanceof Leaf) return convert(n.data, n.dtype, dtypeOf(k));
      const round = stochastic(n);
      if (round === undefined) return results.get(keyOf([n, dtypeOf(k)]))!;
      const input = round.inputs[0]!;
      const values = input instanceof Leaf ? (convert(input.data, input.dtype, 'float32') as Float32Array) : (results.get(keyOf([input as OpNode, 'float32'])) as Float32Array);
      const { dtype, seed } = round.attributes.round!;
      return convert(roundStochastic(values, dtype, seed!), 'float32', dtypeOf(k));
    });
  }
}

/** `[2, 3]` → `"[2, 3]"`. */
export function describe(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
