import { availableParallelism } from 'node:os';
import { onnxBackend, sessionOptions, type OnnxBackend, type OnnxTensor } from '@lmo/onnxruntime';
import type * as ort from 'onnxruntime-node';
import type { Batch } from '../data/batch.js';
import { createParamsFrom, type LossAndGrads, type ModelBackend, type ParamMap } from '../model.js';
import { paramSpecs, type GPTConfig, type ParamSpec } from '../config.js';
import { accInput, buildGptModel, gradOutput, LOGITS_OUTPUT, LOSS_OUTPUT, type GraphKind } from './model.js';

type Ort = typeof ort;

/** Options of {@link OnnxModelBackend.create}. */
export interface OnnxModelOptions {
  /**
   * onnxruntime's `intraOpNumThreads` for the model and the optimizer sessions. Default
   * {@link modelThreads}.
   */
  readonly intraOpNumThreads?: number;
}

/** Counters of the model's own sessions (the optimizer's are in `tensors.stats`). */
export interface OnnxModelStats {
  /** Sessions compiled: one per graph kind and batch size. */
  sessionsCreated: number;
  /** `session.run` calls. */
  runs: number;
}

/** The intra-op threads of the model's sessions: the `NANOGPT_ORT_THREADS` environment variable, else every core. */
export function modelThreads(): number {
  const env = process.env['NANOGPT_ORT_THREADS'];
  const n = env === undefined ? NaN : Number(env);
  return Number.isInteger(n) && n > 0 ? n : availableParallelism();
}

/** onnxruntime-node, loaded on first use (its ESM and CJS builds export the API differently). */
export async function loadOrt(): Promise<Ort> {
  const ortNode = (await import('onnxruntime-node')) as unknown as Ort & { default?: Ort };
  return ortNode.InferenceSession !== undefined ? ortNode : ortNode.default!;
}

/**
 * nanoGPT's GPT as hand-derived ONNX graphs (forward and backward) run by onnxruntime-node on the
 * CPU: one `session.run` per training step yields the loss and every gradient. Parameters are
 * persistent tensors of `@lmo/onnxruntime`'s lazy {@link OnnxBackend}, so core's optimizers compile
 * their steps to ONNX graphs too.
 *
 * Copies per step: none. The parameters' live arrays (`OnnxBackend.arrays`, immutable snapshots)
 * are fed to the model session as they are, and the gradient outputs are adopted as tensors
 * without a copy. With gradient buffers to accumulate into (ScionLight), the graph takes them as
 * inputs and returns `G + g`, which replaces `G`.
 */
export class OnnxModelBackend implements ModelBackend<OnnxTensor> {
  readonly name = 'onnxruntime';
  readonly tensors: OnnxBackend;
  readonly stats: OnnxModelStats = { sessionsCreated: 0, runs: 0 };
  private readonly specs: readonly ParamSpec[];
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly oneHots = new Map<number, { x: Float32Array; y: Float32Array }>();
  private lastGrads: OnnxTensor[] = [];

  private constructor(
    private readonly ort: Ort,
    readonly config: GPTConfig,
    private readonly sessionOptions: ort.InferenceSession.SessionOptions,
    /** The optimizer's tensor backend (the same object as {@link tensors}). */
    readonly onnx: OnnxBackend,
  ) {
    this.tensors = onnx;
    this.specs = paramSpecs(config);
  }

  /** Loads onnxruntime-node and builds the backend (graphs are compiled on first use). */
  static async create(config: GPTConfig, options: OnnxModelOptions = {}): Promise<OnnxModelBackend> {
    const api = await loadOrt();
    // the model's sessions run as the optimizer's do: @lmo/onnxruntime's settings (no spinning, no memory pattern)
    const settings = { intraOpNumThreads: options.intraOpNumThreads ?? modelThreads() };
    return new OnnxModelBackend(api, config, sessionOptions(settings), onnxBackend(settings));
  }

  /** Number of compiled model sessions (one per graph kind and batch size used so far). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  createParams(init: ParamMap<Float32Array>): Map<string, OnnxTensor> {
    return createParamsFrom(this.specs, init, (data, shape) => this.tensors.fromArray(data, shape));
  }

  async lossAndGrads(params: ParamMap<OnnxTensor>, batch: Batch, into?: ParamMap<OnnxTensor>): Promise<LossAndGrads<OnnxTensor>> {
    this.checkBatch(batch);
    const kind = into === undefined ? 'train' : 'train-accumulate';
    const out = await this.run(kind, batch.batchSize, this.config.blockSize, params, batch.x, batch.y, into);
    for (const g of this.lastGrads) this.tensors.dispose(g);
    this.lastGrads = [];
    const loss = (out[LOSS_OUTPUT]!.data as Float32Array)[0]!;
    const fresh = this.specs.map((s) => this.tensors.adopt(out[gradOutput(s.name)]!.data as Float32Array, s.shape));
    if (into === undefined) {
      this.lastGrads = fresh;
      return { loss, grads: new Map(this.specs.map((s, i) => [s.name, fresh[i]!])) };
    }
    // G ← G + g computed by the graph: swap the outputs in (no copy, no graph run).
    await this.tensors.run(() => this.specs.forEach((s, i) => this.tensors.assign(into.get(s.name)!, fresh[i]!)));
    return { loss, grads: into };
  }

  async loss(params: ParamMap<OnnxTensor>, batch: Batch): Promise<number> {
    this.checkBatch(batch);
    const out = await this.run('loss', batch.batchSize, this.config.blockSize, params, batch.x, batch.y);
    return (out[LOSS_OUTPUT]!.data as Float32Array)[0]!;
  }

  async lastLogits(params: ParamMap<OnnxTensor>, tokens: Int32Array): Promise<Float32Array> {
    const T = tokens.length;
    const block = this.config.blockSize;
    if (T < 1 || T > block) throw new RangeError(`lastLogits needs 1..${block} tokens, got ${T}`);
    // Causal: padding after the last token does not change its logits, so one graph serves every T.
    const padded = new Int32Array(block);
    padded.set(tokens);
    const out = await this.run('logits', 1, block, params, padded, null);
    const V = this.config.vocabSize;
    return Float32Array.from((out[LOGITS_OUTPUT]!.data as Float32Array).subarray((T - 1) * V, T * V));
  }

  dispose(): void {
    for (const g of this.lastGrads) this.tensors.dispose(g);
    this.lastGrads = [];
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) void s.then((x) => x.release()).catch(() => undefined);
  }

  private session(kind: GraphKind, B: number, T: number): Promise<ort.InferenceSession> {
    const key = `${kind}:${B}x${T}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      s = this.ort.InferenceSession.create(buildGptModel(this.config, kind, B, T), this.sessionOptions);
      this.sessions.set(key, s);
      this.stats.sessionsCreated++;
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  private oneHot(N: number): { x: Float32Array; y: Float32Array } {
    let b = this.oneHots.get(N);
    if (b === undefined) {
      const V = this.config.vocabSize;
      b = { x: new Float32Array(N * V), y: new Float32Array(N * V) };
      this.oneHots.set(N, b);
    }
    return b;
  }

  private async run(
    kind: GraphKind, B: number, T: number, params: ParamMap<OnnxTensor>, x: Int32Array, y: Int32Array | null, acc?: ParamMap<OnnxTensor>,
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    const session = await this.session(kind, B, T);
    const { Tensor } = this.ort;
    const V = this.config.vocabSize;
    const N = B * T;
    const feeds: Record<string, ort.Tensor> = {};
    const tensors = this.specs.map((s) => {
      const p = params.get(s.name);
      if (p === undefined) throw new Error(`missing parameter ${s.name}`);
      return p;
    });
    if (acc !== undefined) tensors.push(...this.specs.map((s) => acc.get(s.name)!));
    // The live arrays, fed as they are: no copy of the parameters (or of ScionLight's buffers).
    const arrays = await this.tensors.arrays(tensors);
    this.specs.forEach((s, i) => {
      feeds[s.name] = new Tensor('float32', arrays[i]!, [...s.shape]);
      if (acc !== undefined) feeds[accInput(s.name)] = new Tensor('float32', arrays[this.specs.length + i]!, [...s.shape]);
    });
    const oh = this.oneHot(N);
    fillOneHot(oh.x, x, N, V);
    feeds['x_onehot'] = new Tensor('float32', oh.x, [N, V]);
    if (y !== null) {
      fillOneHot(oh.y, y, N, V);
      feeds['y_onehot'] = new Tensor('float32', oh.y, [N, V]);
    }
    this.stats.runs++;
    return session.run(feeds);
  }

  private checkBatch(batch: Batch): void {
    if (batch.blockSize !== this.config.blockSize) {
      throw new RangeError(`batch block size ${batch.blockSize} != model block size ${this.config.blockSize}`);
    }
  }
}

function fillOneHot(out: Float32Array, ids: Int32Array, N: number, V: number): void {
  out.fill(0);
  for (let n = 0; n < N; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) throw new RangeError(`token id ${id} outside the vocabulary [0, ${V})`);
    out[n * V + id] = 1;
  }
}
