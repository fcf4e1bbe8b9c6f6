/**
 * How the onnxruntime backend computes: the {@link DeferredEngine} that turns a recorded scope
 * into one ONNX graph (compiled once per structure), runs it, and hands back the outputs to commit.
 */
import { LmoError, type Shape } from '@lmo/core';
import type { DeferredEngine, Execution, RecordedWrite } from '@lmo/core/backend';
import type * as ort from 'onnxruntime-common';
import { SCALARS_INPUT, traceGraph } from './graph/builder.js';
import { Leaf, OpNode, Variable, sizeOf, type OnnxTensor } from './graph/nodes.js';
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

function isFiniteArray(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
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
    for (const g of guards) if (g instanceof Leaf && !isFiniteArray(g.data)) return { finite: false, commit: () => {} };
    const lazyGuards = guards.filter((g): g is OpNode => g instanceof OpNode);
    const values = writes.map((w) => w.value as Resolved);
    const computed = await this.evaluate([...values, ...lazyGuards]);
    if (!computed.slice(values.length).every(isFiniteArray)) return { finite: false, commit: () => {} };
    return {
      finite: true,
      commit: () => {
        writes.forEach((w, i) => (w.target as Variable).replace(computed[i]!));
      },
    };
  }

  /** The values of `nodes` (row-major); op nodes are computed by one graph run. */
  async evaluate(nodes: readonly Resolved[]): Promise<Float32Array[]> {
    const ops = [...new Set(nodes.filter((n): n is OpNode => n instanceof OpNode))];
    const results = new Map<OpNode, Float32Array>();
    if (ops.length > 0) {
      const traced = traceGraph(ops);
      let outputs: ort.InferenceSession.ReturnType;
      try {
        const session = await this.cache.get(traced.key, () => encodeModel(traced.build(), PRODUCER_VERSION));
        const feeds: Record<string, ort.Tensor> = {};
        const { Tensor } = this.api;
        traced.feeds.forEach((f, i) => {
          feeds[traced.inputNames[i]!] = new Tensor('float32', f.data, [...f.shape]);
        });
        if (traced.scalars.length > 0) feeds[SCALARS_INPUT] = new Tensor('float32', traced.scalars, [traced.scalars.length]);
        const started = performance.now();
        outputs = await session.run(feeds);
        this.stats.runMs += performance.now() - started;
      } catch (error) {
        throw backendError(`graph execution failed: ${error instanceof Error ? error.message : String(error)}`, error);
      }
      this.stats.runs++;
      ops.forEach((op, i) => {
        const out = outputs[traced.outputNames[i]!];
        if (out === undefined || !(out.data instanceof Float32Array) || out.data.length !== sizeOf(op.shape)) {
          throw backendError(`graph output ${i} is missing or malformed`);
        }
        results.set(op, out.data);
      });
    }
    return nodes.map((n) => (n instanceof Leaf ? n.data : results.get(n)!));
  }
}

/** `[2, 3]` → `"[2, 3]"`. */
export function describe(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
