/**
 * AdamW as nanoGPT uses it (PyTorch's `torch.optim.AdamW`): decoupled weight decay on 2-D
 * parameters only, and gradient clipping by global norm before the step. tfjs's own
 * `tf.train.adam` has no weight decay, so this is written out:
 *
 *   x ← x·(1 − γλ)                      (only where the parameter is 2-D)
 *   m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
 *   x ← x − γ · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  /** Learning rate γ at step t (1-based); a function so that the rate can follow a schedule or a control. */
  readonly lr: (t: number) => number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** λ, applied to 2-D parameters only. */
  readonly weightDecay?: number;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly #lr: (t: number) => number;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  /** Steps taken. */
  t = 0;

  constructor(options: AdamWOptions) {
    this.#lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
  }

  /** One step on `variables` (by name) with `grads` (the same names). */
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    this.t += 1;
    const t = this.t;
    const lr = this.#lr(t);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`AdamW: the learning rate at step ${t} must be finite and ≥ 0, got ${lr}`);
    const { beta1, beta2, eps } = this;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const x = variables.get(name);
        if (!x) throw new Error(`AdamW: no variable named ${name}`);
        let m = this.#m.get(name);
        let v = this.#v.get(name);
        if (!m || !v) {
          m = tf.variable(tf.zerosLike(x), false);
          v = tf.variable(tf.zerosLike(x), false);
          this.#m.set(name, m);
          this.#v.set(name, v);
        }
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const decayed = x.rank === 2 ? tf.mul(x, 1 - lr * this.weightDecay) : x;
        const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        x.assign(tf.sub(decayed, tf.mul(step, lr)));
      }
    });
  }

  dispose(): void {
    for (const s of [...this.#m.values(), ...this.#v.values()]) s.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

/**
 * Scales gradients so that their global norm √(Σ‖g‖²) is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`, factor maxNorm/(norm + 1e-6) when norm exceeds maxNorm). Returns new tensors
 * and the norm before clipping (a scalar tensor).
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(sumAll(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const factor = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, factor);
    return { grads: clipped, norm };
  });
}

/**
 * The sum of tensors of one shape, added pairwise. Not `tf.addN`: on tfjs-webgpu one AddN kernel
 * binds every input as a storage buffer, and more than 7 inputs exceed WebGPU's default limit of 8
 * storage buffers per shader stage (the pipeline is then invalid).
 */
export function sumAll(xs: readonly tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('sumAll: nothing to add');
  return tf.tidy(() => xs.slice(1).reduce<tf.Tensor>((acc, x) => tf.add(acc, x), xs[0]!));
}
