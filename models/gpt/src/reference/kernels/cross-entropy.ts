import type { FloatArray } from './types.js';

/**
 * Mean cross-entropy of `logits [N, V]` against `targets`. With `grad`, overwrites `logits` in place
 * with `∂L/∂logits = (softmax − onehot)/N`.
 */
export function crossEntropy(logits: FloatArray, targets: Int32Array, N: number, V: number, grad: boolean): number {
  let total = 0;
  const invN = 1 / N;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v]! > max) max = logits[o + v]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v]! - max);
    const target = targets[n]!;
    total += Math.log(sum) + max - logits[o + target]!;
    if (grad) {
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) logits[o + v] = Math.exp(logits[o + v]! - max) * inv * invN;
      logits[o + target]! -= invN;
    }
  }
  return total / N;
}
