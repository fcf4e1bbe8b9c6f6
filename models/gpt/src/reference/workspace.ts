import type { GPTConfig } from '../config.js';
import type { FloatArray, FloatArrayConstructor } from './kernels/types.js';

/** Activations of one block kept for the backward pass. */
export interface LayerActs {
  readonly xhat1: FloatArray; // [N, C]
  readonly rstd1: FloatArray; // [N]
  readonly ln1: FloatArray; // [N, C]
  readonly qkv: FloatArray; // [N, 3C]
  readonly P: FloatArray; // [B, H, T, T]
  readonly y: FloatArray; // [N, C] attention output before c_proj
  readonly xhat2: FloatArray;
  readonly rstd2: FloatArray;
  readonly ln2: FloatArray;
  readonly hpre: FloatArray; // [N, 4C] before GELU
  readonly cdf: FloatArray; // [N, 4C] Φ(hpre)
  readonly act: FloatArray; // [N, 4C] GELU output
}

/**
 * Every buffer one forward+backward pass needs, allocated once per (config, batch size) so that a
 * training step allocates nothing. `T` may be shorter than the block size (generation) as long as
 * `B·T` fits.
 */
export class Workspace {
  readonly N: number;
  readonly resid: FloatArray[]; // n_layer + 1 residual streams [N, C]
  readonly mid: FloatArray[]; // residual after attention, per layer [N, C]
  readonly layers: LayerActs[];
  readonly xhatF: FloatArray;
  readonly rstdF: FloatArray;
  readonly lnF: FloatArray;
  readonly logits: FloatArray; // [N, V]
  // backward scratch
  readonly dResid: FloatArray; // [N, C]
  readonly dTmp: FloatArray; // [N, C]
  readonly dqkv: FloatArray; // [N, 3C]
  readonly dHidden: FloatArray; // [N, 4C]
  readonly dP: FloatArray; // [T]

  constructor(
    readonly cfg: GPTConfig,
    readonly batchSize: number,
    readonly ctor: FloatArrayConstructor,
  ) {
    const { blockSize: T, nEmbd: C, nHead: H, vocabSize: V, nLayer: L } = cfg;
    const N = (this.N = batchSize * T);
    const B = batchSize;
    const a = (n: number): FloatArray => new ctor(n);
    this.resid = Array.from({ length: L + 1 }, () => a(N * C));
    this.mid = Array.from({ length: L }, () => a(N * C));
    this.layers = Array.from({ length: L }, () => ({
      xhat1: a(N * C), rstd1: a(N), ln1: a(N * C), qkv: a(N * 3 * C), P: a(B * H * T * T), y: a(N * C),
      xhat2: a(N * C), rstd2: a(N), ln2: a(N * C), hpre: a(N * 4 * C), cdf: a(N * 4 * C), act: a(N * 4 * C),
    }));
    this.xhatF = a(N * C);
    this.rstdF = a(N);
    this.lnF = a(N * C);
    this.logits = a(N * V);
    this.dResid = a(N * C);
    this.dTmp = a(N * C);
    this.dqkv = a(N * 3 * C);
    this.dHidden = a(N * 4 * C);
    this.dP = a(T);
  }
}
