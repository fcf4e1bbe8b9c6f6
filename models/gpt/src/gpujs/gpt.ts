/**
 * nanoGPT's GPT forward and backward passes as a sequence of gpu.js kernel launches (the math of
 * `../reference`, one kernel per step of it).
 */
import type { MaybePromise } from '@lmo/core/backend';
import { LN_F, WPE, WTE, layerNames, type GPTConfig } from '../config.js';
import * as K from './kernels.js';
import type { KernelSource } from './kernels.js';
import type { DeviceValue, KernelRunner } from './runner.js';

/** A parameter's current device value by name. */
export type ParamLookup = (name: string) => DeviceValue;

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

/** The GPT over a {@link KernelRunner}: activations stay where the runner keeps them. */
export class GpujsGPT {
  constructor(
    readonly cfg: GPTConfig,
    private readonly r: KernelRunner,
  ) {}

  private k(key: string, make: () => KernelSource, args: readonly (DeviceValue | number)[]): MaybePromise<DeviceValue> {
    return this.r.run(key, make, args);
  }

  /** `op(a)·op(b)` (+ `res`): `[m, n]` with inner size `k`, transpose flags as {@link K.matmul}. */
  private mm(a: DeviceValue, b: DeviceValue, m: number, n: number, k: number, ta: boolean, tb: boolean, res?: DeviceValue): MaybePromise<DeviceValue> {
    const r = res !== undefined;
    return this.k(`mm:${m}:${n}:${k}:${+ta}${+tb}${+r}`, () => K.matmul(m, n, k, ta, tb, r), r ? [a, b, res] : [a, b]);
  }

  private async layerNorm(x: DeviceValue, g: DeviceValue, R: number): Promise<[DeviceValue, DeviceValue]> {
    const C = this.cfg.nEmbd;
    const st = await this.k(`lnStats:${R}:${C}`, () => K.lnStats(R, C), [x]);
    const out = await this.k(`lnOut:${R}:${C}`, () => K.lnOut(R, C), [x, st, g]);
    return [st, out];
  }

  /** Forward pass of `B` sequences of `T` tokens (`tok`: ids as floats) to the logits `[B·T, V]`. */
  async forward(p: ParamLookup, tok: Float32Array, B: number, T: number): Promise<Acts> {
    const { nEmbd: C, nHead: H, nLayer: L, vocabSize: V } = this.cfg;
    const N = B * T;
    const d: K.AttnDims = { B, H, T, C };
    const R = B * H * T;
    let x = await this.k(`embed:${N}:${T}:${C}`, () => K.embed(N, T, C), [tok, p(WTE), p(WPE)]);
    const layers: LayerActs[] = [];
    for (let l = 0; l < L; l++) {
      const n = layerNames(l);
      const xin = x;
      const [st1, ln1] = await this.layerNorm(xin, p(n.ln1), N);
      const qkv = await this.mm(ln1, p(n.attn), N, 3 * C, C, false, true);
      const S = await this.k(`attnScores:${B}:${H}:${T}:${C}`, () => K.attnScores(d), [qkv]);
      const ast = await this.k(`softmaxStats:${R}:${T}:c`, () => K.softmaxStats(R, T, T), [S]);
      const P = await this.k(`attnProbs:${R}:${T}`, () => K.attnProbs(R, T), [S, ast]);
      const y = await this.k(`attnOut:${B}:${H}:${T}:${C}`, () => K.attnOut(d), [P, qkv]);
      const xmid = await this.mm(y, p(n.attnProj), N, C, C, false, true, xin);
      const [st2, ln2] = await this.layerNorm(xmid, p(n.ln2), N);
      const hpre = await this.mm(ln2, p(n.fc), N, 4 * C, C, false, true);
      const act = await this.k(`gelu:${N * 4 * C}`, () => K.gelu(N * 4 * C), [hpre]);
      x = await this.mm(act, p(n.mlpProj), N, C, 4 * C, false, true, xmid);
      layers.push({ xin, st1, ln1, qkv, P, y, xmid, st2, ln2, hpre, act });
    }
    const [stF, lnF] = await this.layerNorm(x, p(LN_F), N);
    const logits = await this.mm(lnF, p(WTE), N, V, C, false, true);
    return { layers, xL: x, stF, lnF, logits };
  }

  /** Mean cross-entropy of the batch; with `grad`, also ∂L/∂logits. */
  private async crossEntropy(logits: DeviceValue, y: Float32Array, N: number, grad: boolean): Promise<{ loss: number; dl?: DeviceValue }> {
    const V = this.cfg.vocabSize;
    const st = await this.k(`softmaxStats:${N}:${V}:f`, () => K.softmaxStats(N, V, null), [logits]);
    const rows = await this.k(`ceLoss:${N}:${V}`, () => K.ceLoss(N, V), [logits, st, y]);
    const dl = grad ? await this.k(`ceGrad:${N}:${V}`, () => K.ceGrad(N, V), [logits, st, y]) : undefined;
    const losses = await this.r.read(rows, N);
    let total = 0;
    for (let n = 0; n < N; n++) total += losses[n]!;
    return dl === undefined ? { loss: total / N } : { loss: total / N, dl };
  }

  /** Mean cross-entropy of a full batch `x`, `y` (`[B, blockSize]` ids). */
  async loss(p: ParamLookup, x: Float32Array, y: Float32Array, B: number): Promise<number> {
    const acts = await this.forward(p, x, B, this.cfg.blockSize);
    return (await this.crossEntropy(acts.logits, y, B * this.cfg.blockSize, false)).loss;
  }

  /** Logits `[T·V]` of one sequence of `T` tokens. */
  async logits(p: ParamLookup, tok: Float32Array): Promise<Float32Array> {
    const T = tok.length;
    const acts = await this.forward(p, tok, 1, T);
    return this.r.read(acts.logits, T * this.cfg.vocabSize);
  }

  /** Loss and every parameter's gradient (device values owned by the runner until its next release). */
  async lossAndGrads(p: ParamLookup, x: Float32Array, y: Float32Array, B: number): Promise<{ loss: number; grads: Map<string, DeviceValue> }> {
    const { nEmbd: C, nHead: H, nLayer: L, vocabSize: V, blockSize: T } = this.cfg;
    const N = B * T;
    const R = B * H * T;
    const d: K.AttnDims = { B, H, T, C };
    const acts = await this.forward(p, x, B, T);
    const { loss, dl } = await this.crossEntropy(acts.logits, y, N, true);
    if (dl === undefined) throw new Error('unreachable');
    const grads = new Map<string, DeviceValue>();

    // LayerNorm backward: (gain gradient, dx written or added into dxIn)
    const lnBack = async (dout: DeviceValue, g: DeviceValue, xv: DeviceValue, st: DeviceValue, dxIn?: DeviceValue): Promise<[DeviceValue, DeviceValue]> => {
      const m = await this.k(`lnBackRows:${N}:${C}`, () => K.lnBackRows(N, C), [dout, g, xv, st]);
      const acc = dxIn !== undefined;
      const dx = await this.k(`lnBackDx:${N}:${C}:${+acc}`, () => K.lnBackDx(N, C, acc), acc ? [dout, g, xv, st, m, dxIn] : [dout, g, xv, st, m]);
      const dg = await this.k(`lnBackDg:${N}:${C}`, () => K.lnBackDg(N, C), [dout, xv, st]);
      return [dg, dx];
    };

    // tied head: logits = ln_f(x)·wteᵀ
    const dwteHead = await this.mm(dl, acts.lnF, V, C, N, true, false);
    let dtmp = await this.mm(dl, p(WTE), N, C, V, false, false);
    let [dg, dx] = await lnBack(dtmp, p(LN_F), acts.xL, acts.stF);
    grads.set(LN_F, dg);

    for (let l = L - 1; l >= 0; l--) {
      const n = layerNames(l);
      const a = acts.layers[l]!;
      // MLP
      grads.set(n.mlpProj, await this.mm(dx, a.act, C, 4 * C, N, true, false));
      let dh = await this.mm(dx, p(n.mlpProj), N, 4 * C, C, false, false);
      dh = await this.k(`geluBack:${N * 4 * C}`, () => K.geluBackward(N * 4 * C), [dh, a.hpre]);
      grads.set(n.fc, await this.mm(dh, a.ln2, 4 * C, C, N, true, false));
      dtmp = await this.mm(dh, p(n.fc), N, C, 4 * C, false, false);
      [dg, dx] = await lnBack(dtmp, p(n.ln2), a.xmid, a.st2, dx);
      grads.set(n.ln2, dg);
      // attention
      grads.set(n.attnProj, await this.mm(dx, a.y, C, C, N, true, false));
      const dy = await this.mm(dx, p(n.attnProj), N, C, C, false, false);
      const dP = await this.k(`attnDP:${B}:${H}:${T}:${C}`, () => K.attnDP(d), [dy, a.qkv]);
      const dS = await this.k(`attnDS:${R}:${T}:${C / H}`, () => K.attnDS(R, T, C / H), [a.P, dP]);
      const dqkv = await this.k(`attnDqkv:${B}:${H}:${T}:${C}`, () => K.attnDqkv(d), [dS, a.P, a.qkv, dy]);
      grads.set(n.attn, await this.mm(dqkv, a.ln1, 3 * C, C, N, true, false));
      dtmp = await this.mm(dqkv, p(n.attn), N, C, 3 * C, false, false);
      [dg, dx] = await lnBack(dtmp, p(n.ln1), a.xin, a.st1, dx);
      grads.set(n.ln1, dg);
    }
    // embeddings: x0 = wte[tok] + wpe[t]
    grads.set(WPE, await this.k(`wpeGrad:${B}:${T}:${C}`, () => K.wpeGrad(B, T, C), [dx]));
    grads.set(WTE, await this.k(`wteGrad:${N}:${V}:${C}`, () => K.wteGrad(N, V, C), [dwteHead, dx, x]));
    return { loss, grads };
  }
}
