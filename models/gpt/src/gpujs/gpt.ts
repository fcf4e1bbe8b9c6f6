/**
 * nanoGPT's GPT forward and backward passes as a sequence of gpu.js kernel launches (the math of
 * `../reference`, one kernel per step of it), run by `@lmo/gpujs`'s backend on its own tensors.
 */
import type { GpujsBackend, GpujsTensor } from '@lmo/gpujs';
import { LN_F, WPE, WTE, layerNames, type GPTConfig } from '../config.js';
import * as K from './kernels.js';
import type { KernelSource } from './kernels.js';

type DeviceValue = GpujsTensor;

/** A parameter by name. */
export type ParamLookup = (name: string) => GpujsTensor;

interface LayerActs {
  readonly xin: DeviceValue;
  readonly st1: DeviceValue;
  readonly ln1: DeviceValue;
  readonly qkv: DeviceValue;
  readonly P: DeviceValue;
  readonly y: DeviceValue;
  readonly xmid: DeviceValue;
  readonly st2: DeviceValue;
  readonly ln2: DeviceValue;
  readonly hpre: DeviceValue;
  readonly act: DeviceValue;
}

interface Acts {
  readonly layers: LayerActs[];
  readonly xL: DeviceValue;
  readonly stF: DeviceValue;
  readonly lnF: DeviceValue;
  readonly logits: DeviceValue;
}

/**
 * The GPT as kernels of `@lmo/gpujs`'s backend: every activation is a tensor of it, kept where it was
 * computed (the device, in the GPU modes) until {@link GpujsGPT.release} frees the pass.
 */
export class GpujsGPT {
  /** Kernel sources by key, each built once. */
  private readonly sources = new Map<string, KernelSource>();
  /** The tensors of the last pass. */
  private made: GpujsTensor[] = [];
  launches = 0;

  constructor(
    readonly cfg: GPTConfig,
    private readonly t: GpujsBackend,
  ) {}

  /** Kernels compiled for the model so far. */
  get kernels(): number {
    return this.sources.size;
  }

  private k(key: string, make: () => KernelSource, args: readonly (GpujsTensor | number)[]): GpujsTensor {
    let source = this.sources.get(key);
    if (source === undefined) this.sources.set(key, (source = make()));
    const out = this.t.kernel(key, [source.size], () => source.source, args);
    this.made.push(out);
    this.launches++;
    return out;
  }

  /** `values` as a tensor of the pass (token ids as floats). */
  private upload(values: Float32Array): GpujsTensor {
    const out = this.t.fromArray(values, [values.length]);
    this.made.push(out);
    return out;
  }

  /** Takes `x` out of the pass's tensors: its new owner frees it. */
  keep(x: GpujsTensor): GpujsTensor {
    this.made = this.made.filter((m) => m !== x);
    return x;
  }

  /** Frees every tensor of the last pass. */
  release(): void {
    for (const m of this.made) this.t.dispose(m);
    this.made = [];
  }

  /** `op(a)·op(b)` (+ `res`): `[m, n]` with inner size `k`, transpose flags as {@link K.matmul}. */
  private mm(a: DeviceValue, b: DeviceValue, m: number, n: number, k: number, ta: boolean, tb: boolean, res?: DeviceValue): DeviceValue {
    const r = res !== undefined;
    return this.k(`mm:${m}:${n}:${k}:${+ta}${+tb}${+r}`, () => K.matmul(m, n, k, ta, tb, r), r ? [a, b, res] : [a, b]);
  }

  private layerNorm(x: DeviceValue, g: DeviceValue, R: number): [DeviceValue, DeviceValue] {
    const C = this.cfg.nEmbd;
    const st = this.k(`lnStats:${R}:${C}`, () => K.lnStats(R, C), [x]);
    const out = this.k(`lnOut:${R}:${C}`, () => K.lnOut(R, C), [x, st, g]);
    return [st, out];
  }

  /** Forward pass of `B` sequences of `T` tokens (`tok`: ids as floats) to the logits `[B·T, V]`. */
  forward(p: ParamLookup, tok: GpujsTensor, B: number, T: number): Acts {
    const { nEmbd: C, nHead: H, nLayer: L, vocabSize: V } = this.cfg;
    const N = B * T;
    const d: K.AttnDims = { B, H, T, C };
    const R = B * H * T;
    let x = this.k(`embed:${N}:${T}:${C}`, () => K.embed(N, T, C), [tok, p(WTE), p(WPE)]);
    const layers: LayerActs[] = [];
    for (let l = 0; l < L; l++) {
      const n = layerNames(l);
      const xin = x;
      const [st1, ln1] = this.layerNorm(xin, p(n.ln1), N);
      const qkv = this.mm(ln1, p(n.attn), N, 3 * C, C, false, true);
      const S = this.k(`attnScores:${B}:${H}:${T}:${C}`, () => K.attnScores(d), [qkv]);
      const ast = this.k(`softmaxStats:${R}:${T}:c`, () => K.softmaxStats(R, T, T), [S]);
      const P = this.k(`attnProbs:${R}:${T}`, () => K.attnProbs(R, T), [S, ast]);
      const y = this.k(`attnOut:${B}:${H}:${T}:${C}`, () => K.attnOut(d), [P, qkv]);
      const xmid = this.mm(y, p(n.attnProj), N, C, C, false, true, xin);
      const [st2, ln2] = this.layerNorm(xmid, p(n.ln2), N);
      const hpre = this.mm(ln2, p(n.fc), N, 4 * C, C, false, true);
      const act = this.k(`gelu:${N * 4 * C}`, () => K.gelu(N * 4 * C), [hpre]);
      x = this.mm(act, p(n.mlpProj), N, C, 4 * C, false, true, xmid);
      layers.push({ xin, st1, ln1, qkv, P, y, xmid, st2, ln2, hpre, act });
    }
    const [stF, lnF] = this.layerNorm(x, p(LN_F), N);
    const logits = this.mm(lnF, p(WTE), N, V, C, false, true);
    return { layers, xL: x, stF, lnF, logits };
  }

  /** Mean cross-entropy of the batch; with `grad`, also ∂L/∂logits. */
  private async crossEntropy(logits: DeviceValue, y: GpujsTensor, N: number, grad: boolean): Promise<{ loss: number; dl?: DeviceValue }> {
    const V = this.cfg.vocabSize;
    const st = this.k(`softmaxStats:${N}:${V}:f`, () => K.softmaxStats(N, V, null), [logits]);
    const rows = this.k(`ceLoss:${N}:${V}`, () => K.ceLoss(N, V), [logits, st, y]);
    const dl = grad ? this.k(`ceGrad:${N}:${V}`, () => K.ceGrad(N, V), [logits, st, y]) : undefined;
    const losses = await this.t.read(rows);
    let total = 0;
    for (let n = 0; n < N; n++) total += losses[n]!;
    return dl === undefined ? { loss: total / N } : { loss: total / N, dl };
  }

  /** Mean cross-entropy of a full batch `x`, `y` (`[B, blockSize]` ids). */
  async loss(p: ParamLookup, x: Float32Array, y: Float32Array, B: number): Promise<number> {
    const acts = this.forward(p, this.upload(x), B, this.cfg.blockSize);
    return (await this.crossEntropy(acts.logits, this.upload(y), B * this.cfg.blockSize, false)).loss;
  }

  /** Logits `[T·V]` of one sequence of `T` tokens. */
  async logits(p: ParamLookup, tok: Float32Array): Promise<Float32Array> {
    const T = tok.length;
    const acts = this.forward(p, this.upload(tok), 1, T);
    return (await this.t.read(acts.logits)).subarray(0, T * this.cfg.vocabSize);
  }

  /** Loss and every parameter's gradient (tensors of the pass: {@link GpujsGPT.keep} them, or they go with its release). */
  async lossAndGrads(p: ParamLookup, ids: Float32Array, targets: Float32Array, B: number): Promise<{ loss: number; grads: Map<string, DeviceValue> }> {
    const { nEmbd: C, nHead: H, nLayer: L, vocabSize: V, blockSize: T } = this.cfg;
    const N = B * T;
    const R = B * H * T;
    const d: K.AttnDims = { B, H, T, C };
    const x = this.upload(ids);
    const acts = this.forward(p, x, B, T);
    const { loss, dl } = await this.crossEntropy(acts.logits, this.upload(targets), N, true);
    if (dl === undefined) throw new Error('unreachable');
    const grads = new Map<string, DeviceValue>();

    // LayerNorm backward: (gain gradient, dx written or added into dxIn)
    const lnBack = (dout: DeviceValue, g: DeviceValue, xv: DeviceValue, st: DeviceValue, dxIn?: DeviceValue): [DeviceValue, DeviceValue] => {
      const m = this.k(`lnBackRows:${N}:${C}`, () => K.lnBackRows(N, C), [dout, g, xv, st]);
      const acc = dxIn !== undefined;
      const dx = this.k(`lnBackDx:${N}:${C}:${+acc}`, () => K.lnBackDx(N, C, acc), acc ? [dout, g, xv, st, m, dxIn] : [dout, g, xv, st, m]);
      const dg = this.k(`lnBackDg:${N}:${C}`, () => K.lnBackDg(N, C), [dout, xv, st]);
      return [dg, dx];
    };

    // tied head: logits = ln_f(x)·wteᵀ
    const dwteHead = this.mm(dl, acts.lnF, V, C, N, true, false);
    let dtmp = this.mm(dl, p(WTE), N, C, V, false, false);
    let [dg, dx] = lnBack(dtmp, p(LN_F), acts.xL, acts.stF);
    grads.set(LN_F, dg);

    for (let l = L - 1; l >= 0; l--) {
      const n = layerNames(l);
      const a = acts.layers[l]!;
      // MLP
      grads.set(n.mlpProj, this.mm(dx, a.act, C, 4 * C, N, true, false));
      let dh = this.mm(dx, p(n.mlpProj), N, 4 * C, C, false, false);
      dh = this.k(`geluBack:${N * 4 * C}`, () => K.geluBackward(N * 4 * C), [dh, a.hpre]);
      grads.set(n.fc, this.mm(dh, a.ln2, 4 * C, C, N, true, false));
      dtmp = this.mm(dh, p(n.fc), N, C, 4 * C, false, false);
      [dg, dx] = lnBack(dtmp, p(n.ln2), a.xmid, a.st2, dx);
      grads.set(n.ln2, dg);
      // attention
      grads.set(n.attnProj, this.mm(dx, a.y, C, C, N, true, false));
      const dy = this.mm(dx, p(n.attnProj), N, C, C, false, false);
      const dP = this.k(`attnDP:${B}:${H}:${T}:${C}`, () => K.attnDP(d), [dy, a.qkv]);
      const dS = this.k(`attnDS:${R}:${T}:${C / H}`, () => K.attnDS(R, T, C / H), [a.P, dP]);
      const dqkv = this.k(`attnDqkv:${B}:${H}:${T}:${C}`, () => K.attnDqkv(d), [dS, a.P, a.qkv, dy]);
      grads.set(n.attn, this.mm(dqkv, a.ln1, 3 * C, C, N, true, false));
      dtmp = this.mm(dqkv, p(n.attn), N, C, 3 * C, false, false);
      [dg, dx] = lnBack(dtmp, p(n.ln1), a.xin, a.st1, dx);
      grads.set(n.ln1, dg);
    }
    // embeddings: x0 = wte[tok] + wpe[t]
    grads.set(WPE, this.k(`wpeGrad:${B}:${T}:${C}`, () => K.wpeGrad(B, T, C), [dx]));
    grads.set(WTE, this.k(`wteGrad:${N}:${V}:${C}`, () => K.wteGrad(N, V, C), [dwteHead, dx, x]));
    return { loss, grads };
  }
}
