/**
 * The optimizer's buffers as named `tf.Variable`s: created when a variable is first seen, exported
 * by `getWeights` and restored by `setWeights` (by name, now or when the variable appears later).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LmoError } from '@lmo/core';
import { canonicalName } from './names.js';

/** A `{ name, tensor }` pair, as `tf.Optimizer.applyGradients` and `getWeights` use. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const MOMENTUM_SUFFIX = '/lmo_momentum';
const LIGHT_SUFFIX = '/lmo_gradient';

/** Buffers by variable name (the momentum `d`, or ScionLight's gradient buffer `G`). */
export class OptimizerBuffers {
  readonly #light: boolean;
  readonly #buffers = new Map<string, tf.Variable>();
  /** Restored buffers (by the saved variable name) not yet claimed by a variable. */
  readonly #pending = new Map<string, tf.Variable>();
  /** Tensors made by the last export (freed by the next one and by dispose). */
  #exported: tf.Tensor[] = [];

  constructor(light: boolean) {
    this.#light = light;
  }

  get #suffix(): string {
    return this.#light ? LIGHT_SUFFIX : MOMENTUM_SUFFIX;
  }

  /** The buffer of a variable, if it has one. */
  get(name: string): tf.Variable | undefined {
    return this.#buffers.get(name);
  }

  /** Gives `variable` a buffer: a restored one saved under its name (or its canonical name), else zeros. */
  claim(name: string, variable: tf.Variable): tf.Variable {
    let key: string | undefined = this.#pending.has(name) ? name : undefined;
    if (key === undefined) {
      const canonical = canonicalName(name);
      const candidates = [...this.#pending.keys()].filter((k) => canonicalName(k) === canonical && !this.#buffers.has(k));
      if (candidates.length === 1) key = candidates[0];
    }
    let buffer: tf.Variable;
    if (key === undefined) {
      buffer = tf.tidy(() => tf.variable(tf.zeros(variable.shape, 'float32'), false));
    } else {
      buffer = this.#pending.get(key)!;
      if (!tf.util.arraysEqual(buffer.shape, variable.shape)) {
        throw new LmoError(
          'STATE_MISMATCH',
          `restored optimizer state for "${key}" has shape [${buffer.shape.join(', ')}], but variable "${name}" has shape [${variable.shape.join(', ')}]`,
        );
      }
      this.#pending.delete(key);
    }
    this.#buffers.set(name, buffer);
    return buffer;
  }

  /** `iter` first, then `<variable>/lmo_momentum` (or `/lmo_gradient`) per buffer, unclaimed restored ones included. */
  export(iterations: number): NamedTensor[] {
    tf.dispose(this.#exported);
    const iter = tf.scalar(iterations, 'int32');
    this.#exported = [iter];
    const weights: NamedTensor[] = [{ name: 'iter', tensor: iter }];
    for (const [name, buffer] of [...this.#buffers, ...this.#pending]) weights.push({ name: name + this.#suffix, tensor: buffer });
    return weights;
  }

  /**
   * Restores {@link export}'s output: validates everything first (order, suffixes, shapes of
   * known variables, finiteness), then writes. Buffers of variables not seen yet wait in
   * `pending`; seen variables missing from the weights restart at zero. Returns the iteration count.
   */
  async restore(weightValues: readonly NamedTensor[]): Promise<number> {
    if (weightValues.length === 0 || weightValues[0]!.name !== 'iter') {
      throw new LmoError('STATE_MISMATCH', 'optimizer weights must start with the "iter" count (as getWeights() returns them)');
    }
    const suffix = this.#suffix;
    const other = this.#light ? MOMENTUM_SUFFIX : LIGHT_SUFFIX;
    const restored = weightValues.slice(1).map(({ name, tensor }) => {
      if (!name.endsWith(suffix)) {
        const why = name.endsWith(other) ? `it was saved by a ${this.#light ? 'non-light' : 'ScionLight'} optimizer` : 'it is not a buffer of this optimizer';
        throw new LmoError('STATE_MISMATCH', `cannot restore optimizer weight "${name}": ${why}; nothing was changed`);
      }
      const variableName = name.slice(0, -suffix.length);
      const buffer = this.#buffers.get(variableName);
      if (buffer !== undefined && !tf.util.arraysEqual(buffer.shape, tensor.shape)) {
        throw new LmoError('STATE_MISMATCH', `saved buffer of "${variableName}" has shape [${tensor.shape.join(', ')}], expected [${buffer.shape.join(', ')}]; nothing was changed`);
      }
      return { variableName, tensor, buffer };
    });
    const [iterations] = await weightValues[0]!.tensor.data();
    if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 0) {
      throw new LmoError('STATE_MISMATCH', `optimizer weight "iter" is ${String(iterations)}, expected an integer ≥ 0; nothing was changed`);
    }
    for (const { variableName, tensor } of restored) {
      const values = await tensor.data();
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new LmoError('STATE_MISMATCH', `saved buffer of "${variableName}" holds ${values[bad]} at index ${bad}; nothing was changed`);
    }
    const seen = new Set<string>();
    tf.tidy(() => {
      for (const { variableName, tensor, buffer } of restored) {
        seen.add(variableName);
        if (buffer !== undefined) {
          buffer.assign(tf.cast(tensor, 'float32'));
        } else {
          this.#pending.get(variableName)?.dispose();
          this.#pending.set(variableName, tf.variable(tf.cast(tensor, 'float32'), false));
        }
      }
      for (const [name, buffer] of this.#buffers) if (!seen.has(name)) buffer.assign(tf.zerosLike(buffer));
    });
    return iterations;
  }

  /** Frees every buffer (claimed, pending and exported). */
  dispose(): void {
    for (const buffer of [...this.#buffers.values(), ...this.#pending.values()]) buffer.dispose();
    this.#buffers.clear();
    this.#pending.clear();
    tf.dispose(this.#exported);
    this.#exported = [];
  }
}
