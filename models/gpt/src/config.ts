import { sizeOf } from '@lmo/core/backend';

/** nanoGPT's GPT hyper-parameters (bias = false, dropout = 0). */
export interface GPTConfig {
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
}

/** nanoGPT's CPU config for shakespeare_char (vocabulary filled in from the data). */
export const CPU_CONFIG: Omit<GPTConfig, 'vocabSize'> = { blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 };

/** What a parameter is, for initialization and for optimizer routing. */
export type ParamRole = 'wte' | 'wpe' | 'ln' | 'attn' | 'attn_proj' | 'mlp_fc' | 'mlp_proj';

/** One parameter of the model: its nanoGPT name, shape (`[d_out, d_in]` for linears) and init. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParamRole;
  /** Standard deviation of the normal init, or `'ones'` for LayerNorm gains. */
  readonly init: number | 'ones';
}

/** Names of the parameters of layer `l`. */
export function layerNames(l: number): {
  ln1: string;
  attn: string;
  attnProj: string;
  ln2: string;
  fc: string;
  mlpProj: string;
} {
  const p = `transformer.h.${l}`;
  return {
    ln1: `${p}.ln_1.weight`,
    attn: `${p}.attn.c_attn.weight`,
    attnProj: `${p}.attn.c_proj.weight`,
    ln2: `${p}.ln_2.weight`,
    fc: `${p}.mlp.c_fc.weight`,
    mlpProj: `${p}.mlp.c_proj.weight`,
  };
}

export const WTE = 'transformer.wte.weight';
export const WPE = 'transformer.wpe.weight';
export const LN_F = 'transformer.ln_f.weight';

/** Every parameter, in a fixed order (the order the initial weights are drawn in). `lm_head` is tied to `wte`. */
export function paramSpecs(cfg: GPTConfig): ParamSpec[] {
  const C = cfg.nEmbd;
  const projStd = 0.02 / Math.sqrt(2 * cfg.nLayer);
  const specs: ParamSpec[] = [
    { name: WTE, shape: [cfg.vocabSize, C], role: 'wte', init: 0.02 },
    { name: WPE, shape: [cfg.blockSize, C], role: 'wpe', init: 0.02 },
  ];
  for (let l = 0; l < cfg.nLayer; l++) {
    const n = layerNames(l);
    specs.push(
      { name: n.ln1, shape: [C], role: 'ln', init: 'ones' },
      { name: n.attn, shape: [3 * C, C], role: 'attn', init: 0.02 },
      { name: n.attnProj, shape: [C, C], role: 'attn_proj', init: projStd },
      { name: n.ln2, shape: [C], role: 'ln', init: 'ones' },
      { name: n.fc, shape: [4 * C, C], role: 'mlp_fc', init: 0.02 },
      { name: n.mlpProj, shape: [C, 4 * C], role: 'mlp_proj', init: projStd },
    );
  }
  specs.push({ name: LN_F, shape: [C], role: 'ln', init: 'ones' });
  return specs;
}

export { sizeOf };

/** Parameter count (nanoGPT reports it without `wpe`; this counts everything, `wte` once). */
export function paramCount(cfg: GPTConfig): number {
  return paramSpecs(cfg).reduce((s, p) => s + sizeOf(p.shape), 0);
}

/** Throws a readable error when the config is not a valid GPT. */
export function validateConfig(cfg: GPTConfig): void {
  const ints: [string, number][] = [
    ['vocab size', cfg.vocabSize],
    ['block size', cfg.blockSize],
    ['n_layer', cfg.nLayer],
    ['n_head', cfg.nHead],
    ['n_embd', cfg.nEmbd],
  ];
  for (const [what, v] of ints) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
  }
  if (cfg.nEmbd % cfg.nHead !== 0) {
    throw new RangeError(`n_embd (${cfg.nEmbd}) must be divisible by n_head (${cfg.nHead})`);
  }
}
