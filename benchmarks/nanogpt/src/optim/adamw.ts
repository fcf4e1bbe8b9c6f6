import type { Schedule, TensorBackend } from '@lmo/core';
import { andThen, type MaybePromise } from '@lmo/core/backend';
import type { ParamMap } from '../model/backend.js';
import { readBuffers, writeBuffers } from './buffers.js';
import type { TrainOptimizer } from './types.js';

/** AdamW's state: the step count and both moments of every parameter. */
interface AdamWState {
  readonly t: number;
  readonly m: Record<string, Float32Array>;
  readonly v: Record<string, Float32Array>;
}

/** AdamW hyper-parameters; the defaults are nanoGPT's shakespeare_char config. */
export interface AdamWOptions {
  readonly lr: number;
  readonly schedule?: Schedule;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Global gradient-norm clipping threshold (0 disables). */
  readonly clip?: number;
}

/**
 * AdamW exactly as nanoGPT trains with it (torch.optim.AdamW + clip_grad_norm_): gradients are
 * first scaled by `min(1, clip/(‖g‖ + 1e-6))` over all parameters together, then per parameter
 *
 * ```
 * p ← p·(1 − lr·wd)                    (wd only on parameters with ≥ 2 dimensions)
 * m ← β₁·m + (1 − β₁)·g ;  v ← β₂·v + (1 − β₂)·g²
 * p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + eps)
 * ```
 *
 * Written over the core tensor contract, so it runs on whichever backend holds the parameters.
 */
export class AdamW<T> implements TrainOptimizer<T> {
  readonly name = 'adamw';
  private readonly m = new Map<string, T>();
  private readonly v = new Map<string, T>();
  private readonly shapes2d = new Map<string, [number, number]>();
  private readonly decays = new Map<string, boolean>();
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly clip: number;

  constructor(
    private readonly backend: TensorBackend<T>,
    private readonly params: ParamMap<T>,
    private readonly options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.wd = options.weightDecay ?? 0.1;
    this.clip = options.clip ?? 1.0;
    for (const [name, p] of params) {
      const shape = backend.shape(p);
      const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
      const size = shape.reduce((a, d) => a * d, 1);
      this.shapes2d.set(name, [size / cols, cols]);
      this.decays.set(name, shape.length >= 2);
      this.m.set(name, backend.zerosLike(p));
      this.v.set(name, backend.zerosLike(p));
    }
  }

  /** Bytes of the two moment buffers. */
  get ownedBytes(): number {
    let n = 0;
    for (const m of this.m.values()) n += this.backend.shape(m).reduce((a, d) => a * d, 1);
    return 8 * n;
  }

  /** Steps taken. */
  get stepCount(): number {
    return this.t;
  }

  currentLr(): number {
    return this.options.lr * (this.options.schedule ? this.options.schedule(this.t) : 1);
  }

  step(grads?: ParamMap<T>): MaybePromise<void> {
    if (grads === undefined) throw new Error('adamw: step() needs the gradients');
    const b = this.backend;
    const lr = this.currentLr();
    const as2d = (name: string, x: T): T => b.reshape(x, this.shapes2d.get(name)!);
    const gradOf = (name: string): T => {
      const g = grads.get(name);
      if (g === undefined) throw new Error(`adamw: no gradient for ${name}`);
      return g;
    };
    const norm: MaybePromise<number> = this.clip > 0 ? this.globalNorm(grads) : 0;
    return andThen(norm, (total) => {
      const coef = this.clip > 0 ? Math.min(1, this.clip / (total + 1e-6)) : 1;
      const t = this.t + 1;
      const bc1 = 1 - this.beta1 ** t;
      const bc2 = 1 - this.beta2 ** t;
      return andThen(
        b.run(() => {
          const writes: Array<[T, T]> = [];
          for (const [name, p] of this.params) {
            const shape = b.shape(p);
            const g = as2d(name, gradOf(name));
            const m = this.m.get(name)!;
            const v = this.v.get(name)!;
            const m2 = b.axpby(this.beta1, as2d(name, m), (1 - this.beta1) * coef, g);
            const v2 = b.axpby(this.beta2, as2d(name, v), (1 - this.beta2) * coef * coef, b.mul(g, g));
            const denom = b.addScalar(b.scale(b.sqrt(v2), 1 / Math.sqrt(bc2)), this.eps);
            const decay = this.decays.get(name)! ? 1 - lr * this.wd : 1;
            const p2 = b.axpby(decay, as2d(name, p), -lr / bc1, b.div(m2, denom));
            writes.push([m, b.reshape(m2, shape)], [v, b.reshape(v2, shape)], [p, b.reshape(p2, shape)]);
          }
          for (const [target, value] of writes) b.assign(target, value);
        }),
        () => {
          this.t = t;
        },
      );
    });
  }

  /** ‖g‖ over all gradients together (what clip_grad_norm_ computes), read inside one scope. */
  private globalNorm(grads: ParamMap<T>): MaybePromise<number> {
    const b = this.backend;
    let read: MaybePromise<Float32Array> | undefined;
    const done = b.run(() => {
      let total: T | undefined;
      for (const [name, g] of grads) {
        const s = b.sumSquares(b.reshape(g, this.shapes2d.get(name)!));
        total = total === undefined ? s : b.add(total, s);
      }
      if (total !== undefined) read = b.read(total);
    });
    return andThen(done, () => andThen(read ?? new Float32Array(1), (arr) => Math.sqrt(arr[0]!)));
  }

  async saveState(): Promise<AdamWState> {
    return { t: this.t, m: await readBuffers(this.backend, this.m), v: await readBuffers(this.backend, this.v) };
  }

  async loadState(state: unknown): Promise<void> {
    const s = state as Partial<AdamWState> | null;
    if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.t) || s.t! < 0 || s.m === undefined || s.v === undefined) {
      throw new Error('adamw: the saved state has no step count and moments');
    }
    await writeBuffers(this.backend, this.m, s.m, 'adamw first moments');
    await writeBuffers(this.backend, this.v, s.v, 'adamw second moments');
    this.t = s.t!;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) this.backend.dispose(x);
  }
}
