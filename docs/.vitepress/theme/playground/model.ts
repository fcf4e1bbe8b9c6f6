/**
 * A small character-level GPT in TensorFlow.js ops, shaped like nanoGPT's: token and learned
 * position embeddings, `layers` pre-LayerNorm blocks of causal self-attention (fused `c_attn`) and
 * an exact-erf GELU MLP, a final LayerNorm, and an output head tied to the token embedding. No
 * biases, no dropout. Autodiff is tfjs's (`tf.variableGrads`).
 *
 * Linear weights are stored the way tf.layers stores Dense kernels, `[d_in, d_out]`, and named
 * `…/kernel`, so that `y = x·W` is a plain matmul and @lmo/tfjs reads them in the Keras layout
 * (its norms see the `[d_out, d_in]` view). Embedding tables are `[rows, C]` as in nanoGPT.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface GptConfig {
  /** Vocabulary size. */
  readonly vocab: number;
  /** Context length (tokens). */
  readonly block: number;
  /** Width C. */
  readonly embd: number;
  readonly heads: number;
  readonly layers: number;
}

/** nanoGPT's init: N(0, 0.02) for linear and embedding weights, N(0, 0.02/√(2·layers)) for the residual projections, gains 1. */
function initialValue(name: string, shape: number[], config: GptConfig, seed: number): tf.Tensor {
  if (name.endsWith('/gamma')) return tf.ones(shape);
  const std = name.endsWith('c_proj/kernel') ? 0.02 / Math.sqrt(2 * config.layers) : 0.02;
  return tf.randomNormal(shape, 0, std, 'float32', seed);
}

/** Parameter names and shapes, in a fixed order (the prefix keeps two models apart in tfjs's registry). */
export function parameterShapes(config: GptConfig): Array<readonly [string, number[]]> {
  const { vocab, block, embd: C, layers } = config;
  const out: Array<readonly [string, number[]]> = [
    ['wte/embeddings', [vocab, C]],
    ['wpe/embeddings', [block, C]],
  ];
  for (let l = 0; l < layers; l++) {
    out.push(
      [`h${l}/ln_1/gamma`, [C]],
      [`h${l}/attn/c_attn/kernel`, [C, 3 * C]],
      [`h${l}/attn/c_proj/kernel`, [C, C]],
      [`h${l}/ln_2/gamma`, [C]],
      [`h${l}/mlp/c_fc/kernel`, [C, 4 * C]],
      [`h${l}/mlp/c_proj/kernel`, [4 * C, C]],
    );
  }
  out.push(['ln_f/gamma', [C]]);
  return out;
}

function validate(config: GptConfig): void {
  for (const key of ['vocab', 'block', 'embd', 'heads', 'layers'] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`GptConfig.${key} must be a positive integer, got ${v}`);
  }
  if (config.embd % config.heads !== 0) throw new Error(`GptConfig.embd (${config.embd}) must be divisible by heads (${config.heads})`);
}

/** LayerNorm over the last axis with a gain and no bias (eps 1e-5, as PyTorch). */
function layerNorm(x: tf.Tensor, gain: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gain);
}

/** GELU with the exact erf: x·Φ(x) = ½·x·(1 + erf(x/√2)). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export class CharGpt {
  readonly config: GptConfig;
  readonly prefix: string;
  /** The trainable variables by full name (`<prefix>/<parameter>`), in {@link parameterShapes} order. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly #masks = new Map<number, tf.Tensor2D>();

  /** Creates the variables, initialised deterministically from `seed`. */
  constructor(config: GptConfig, prefix: string, seed: number) {
    validate(config);
    this.config = config;
    this.prefix = prefix;
    const params = new Map<string, tf.Variable>();
    parameterShapes(config).forEach(([name, shape], i) => {
      const value = initialValue(name, shape, config, seed * 1000 + i);
      params.set(`${prefix}/${name}`, tf.variable(value, true, `${prefix}/${name}`));
      value.dispose();
    });
    this.params = params;
  }

  #p(name: string): tf.Variable {
    const v = this.params.get(`${this.prefix}/${name}`);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** The additive causal mask for `t` positions: 0 on and below the diagonal, −1e9 above. */
  #mask(t: number): tf.Tensor2D {
    let m = this.#masks.get(t);
    if (!m) {
      m = tf.keep(tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9) as tf.Tensor2D));
      this.#masks.set(t, m);
    }
    return m;
  }

  /** Logits `[B·T, vocab]` for tokens `x` (`[B, T]`, int32, T ≤ block). */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = x.shape;
    const { embd: C, heads: H, layers, block } = this.config;
    if (T > block) throw new Error(`sequence length ${T} exceeds the block size ${block}`);
    const D = C / H;
    const mask = this.#mask(T);
    return tf.tidy(() => {
      const wte = this.#p('wte/embeddings');
      // The lookup as one-hot · wte: tf.gather's gradient needs UnsortedSegmentSum, which
      // tfjs-backend-wasm does not implement; a matmul differentiates on every backend.
      const tok = tf.reshape(tf.matMul(tf.oneHot(tf.reshape(x, [-1]), this.config.vocab), wte), [B, T, C]);
      const pos = tf.slice(this.#p('wpe/embeddings'), [0, 0], [T, C]);
      let h: tf.Tensor = tf.add(tok, pos);
      const heads = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]), [B * H, T, D]);
      for (let l = 0; l < layers; l++) {
        const a = tf.reshape(layerNorm(h, this.#p(`h${l}/ln_1/gamma`)), [B * T, C]);
        const [q, k, v] = tf.split(tf.matMul(a, this.#p(`h${l}/attn/c_attn/kernel`)), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(D)), mask);
        const y = tf.matMul(tf.softmax(scores), heads(v));
        const merged = tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, D]), [0, 2, 1, 3]), [B * T, C]);
        h = tf.add(h, tf.reshape(tf.matMul(merged, this.#p(`h${l}/attn/c_proj/kernel`)), [B, T, C]));
        const m = tf.reshape(layerNorm(h, this.#p(`h${l}/ln_2/gamma`)), [B * T, C]);
        const f = gelu(tf.matMul(m, this.#p(`h${l}/mlp/c_fc/kernel`)));
        h = tf.add(h, tf.reshape(tf.matMul(f, this.#p(`h${l}/mlp/c_proj/kernel`)), [B, T, C]));
      }
      const out = tf.reshape(layerNorm(h, this.#p('ln_f/gamma')), [B * T, C]);
      return tf.matMul(out, wte, false, true) as tf.Tensor2D; // the head is tied to wte
    });
  }

  /** Mean cross-entropy of predicting `y` from `x` (both `[B, T]` int32). */
  loss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logp = tf.logSoftmax(this.logits(x));
      const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.reshape(y, [-1]), this.config.vocab)), 1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
  }

  /**
   * Samples `n` tokens after `context` with temperature `temperature`, using `uniform()` for the
   * draws. Reads the logits back asynchronously, one token at a time.
   */
  async generate(context: readonly number[], n: number, temperature: number, uniform: () => number): Promise<number[]> {
    const tokens = [...context];
    for (let i = 0; i < n; i++) {
      const window = tokens.slice(-this.config.block);
      const probs = tf.tidy(() => {
        const logits = this.logits(tf.tensor2d(window, [1, window.length], 'int32'));
        const last = tf.slice(logits, [window.length - 1, 0], [1, this.config.vocab]);
        return tf.softmax(tf.div(last, temperature));
      });
      const p = await probs.data();
      probs.dispose();
      let u = uniform();
      let next = p.length - 1;
      for (let j = 0; j < p.length; j++) {
        u -= p[j]!;
        if (u < 0) {
          next = j;
          break;
        }
      }
      tokens.push(next);
    }
    return tokens.slice(context.length);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const m of this.#masks.values()) m.dispose();
    this.#masks.clear();
  }
}
