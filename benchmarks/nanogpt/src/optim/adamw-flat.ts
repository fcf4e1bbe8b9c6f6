import type { Shape, TensorBackend } from '@lmo/core';
import type { ParamMap } from '../model/backend.js';
import type { AdamWOptions } from './adamw.js';
import type { TrainOptimizer } from './types.js';
import { AdamWKernels } from './wasm-kernels.js';

/**
 * What a backend offers a host kernel: its tensors' current arrays in call order without copies
 * (never changed afterwards), and arrays taken over as tensors without copies. `@lmo/onnxruntime`'s
 * `arrays` and `adopt`.
 */
export interface HostArrays<T> {
  arrays(xs: readonly T[]): Promise<Float32Array[]>;
  adopt(data: Float32Array, shape: Shape): T;
}

/** Whether `backend` offers {@link HostArrays}. */
export function hasHostArrays<T>(backend: TensorBackend<T>): backend is TensorBackend<T> & HostArrays<T> {
  const b = backend as Partial<HostArrays<T>>;
  return typeof b.arrays === 'function' && typeof b.adopt === 'function';
}

interface Slot<T> {
  readonly name: string;
  readonly param: T;
  readonly shape: Shape;
  readonly size: number;
  /** Offset in floats into each of the four regions (a multiple of 4). */
  readonly offset: number;
}

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * nanoGPT's AdamW (the same update as {@link AdamW}: clipping at a global norm, decay on 2-D
 * parameters only, bias correction) as one fused pass over flat buffers, for a backend whose
 * tensors live in host arrays. Four regions of one WebAssembly memory hold every parameter, its
 * gradient and both moments back to back (2-D parameters first, so that decay is one range); a step
 *
 * 1. copies the gradients in (and the parameters, unless they are the arrays its last step made),
 * 2. sums their squares in one pass (in float64) for the clip coefficient
 *    `c = min(1, clip/(‖g‖ + 1e-6))`,
 * 3. updates every element in one pass, four lanes at a time (float32, as torch's AdamW):
 *    `m ← β₁m + (1 − β₁)c·g;  v ← β₂v + (1 − β₂)c²g²;  p ← (1 − lr·wd)p − lr/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + eps)`,
 * 4. hands each parameter a fresh array of its new values (one copy out; arrays already given
 *    out are never written again).
 *
 * No engine graph runs; the assignment swaps the arrays in. Steps are serialized: overlapping
 * `step()` calls give what awaited ones give.
 */
export class FlatAdamW<T> implements TrainOptimizer<T> {
  readonly name = 'adamw';
  readonly #kernels: AdamWKernels;
  readonly #slots: Slot<T>[];
  /** Floats per region, and floats of the decayed (2-D) range at its start. */
  readonly #length: number;
  readonly #decayed: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;
  readonly #wd: number;
  readonly #clip: number;
  /** The arrays the last step handed to the parameters (their values are still in the p region). */
  #given: Float32Array[] = [];
  #t = 0;
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(
    private readonly backend: TensorBackend<T> & HostArrays<T>,
    params: ParamMap<T>,
    private readonly options: AdamWOptions,
  ) {
    this.#beta1 = options.beta1 ?? 0.9;
    this.#beta2 = options.beta2 ?? 0.99;
    this.#eps = options.eps ?? 1e-8;
    this.#wd = options.weightDecay ?? 0.1;
    this.#clip = options.clip ?? 1.0;
    const entries = [...params].map(([name, param]) => ({ name, param, shape: backend.shape(param) }));
    const ordered = [...entries.filter((e) => e.shape.length >= 2), ...entries.filter((e) => e.shape.length < 2)];
    let offset = 0;
    let decayed = 0;
    this.#slots = ordered.map((e) => {
      const size = e.shape.reduce((a, d) => a * d, 1);
      const slot = { ...e, size, offset };
      offset += roundUp4(size);
      if (e.shape.length >= 2) decayed = offset;
      return slot;
    });
    this.#length = offset;
    this.#decayed = decayed;
    this.#kernels = new AdamWKernels(4 * 4 * offset);
  }

  /** Bytes of its WebAssembly memory: both moments, and the staging copies of parameters and gradients. */
  get ownedBytes(): number {
    return this.#kernels.memory.buffer.byteLength;
  }

  /** Steps taken. */
  get stepCount(): number {
    return this.#t;
  }

  currentLr(): number {
    return this.options.lr * (this.options.schedule ? this.options.schedule(this.#t) : 1);
  }

  step(grads?: ParamMap<T>): Promise<void> {
    if (grads === undefined) return Promise.reject(new Error('adamw: step() needs the gradients'));
    if (this.#disposed) return Promise.reject(new Error('adamw: step() after dispose()'));
    const gs = this.#slots.map((s) => {
      const g = grads.get(s.name);
      if (g === undefined) throw new Error(`adamw: no gradient for ${s.name}`);
      return g;
    });
    const run = this.#queue.then(() => this.#step(gs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #step(grads: readonly T[]): Promise<void> {
    const b = this.backend;
    const n = this.#slots.length;
    const arrays = await b.arrays([...this.#slots.map((s) => s.param), ...grads]);
    const [p, g] = [this.#region(0), this.#region(1)];
    this.#slots.forEach((s, i) => {
      if (arrays[i] !== this.#given[i]) p.set(arrays[i]!, s.offset);
      g.set(arrays[n + i]!, s.offset);
    });
    const bytes = 4 * this.#length;
    const norm = this.#clip > 0 ? Math.sqrt(this.#kernels.sumSquares(bytes, bytes)) : 0;
    const coef = this.#clip > 0 ? Math.min(1, this.#clip / (norm + 1e-6)) : 1;
    const lr = this.currentLr();
    const t = this.#t + 1;
    const k = {
      beta1: this.#beta1,
      c1: (1 - this.#beta1) * coef,
      beta2: this.#beta2,
      c2: (1 - this.#beta2) * coef * coef,
      s2: 1 / Math.sqrt(1 - this.#beta2 ** t),
      eps: this.#eps,
      step: -lr / (1 - this.#beta1 ** t),
    };
    const at = (floats: number) => [4 * floats, 4 * (this.#length + floats), 4 * (2 * this.#length + floats), 4 * (3 * this.#length + floats)] as const;
    this.#kernels.adamw(4 * this.#decayed, ...at(0), { ...k, decay: 1 - lr * this.#wd });
    this.#kernels.adamw(4 * (this.#length - this.#decayed), ...at(this.#decayed), { ...k, decay: 1 });
    const fresh = this.#slots.map((s) => p.slice(s.offset, s.offset + s.size));
    const adopted = this.#slots.map((s, i) => b.adopt(fresh[i]!, s.shape));
    try {
      await b.run(() => this.#slots.forEach((s, i) => b.assign(s.param, adopted[i]!)));
    } finally {
      for (const x of adopted) b.dispose(x);
    }
    this.#given = fresh;
    this.#t = t;
  }

  /**
   * The step count and both moments of every parameter, in {@link AdamW}'s format (a checkpoint of
   * either loads into the other), after every step issued so far.
   */
  async saveState(): Promise<{ t: number; m: Record<string, Float32Array>; v: Record<string, Float32Array> }> {
    await this.#queue;
    const read = (k: number) => Object.fromEntries(this.#slots.map((s) => [s.name, this.#region(k).slice(s.offset, s.offset + s.size)]));
    return { t: this.#t, m: read(2), v: read(3) };
  }

  /** Restores what {@link FlatAdamW.saveState} (or {@link AdamW}'s) returned; everything is checked before anything changes. */
  loadState(state: unknown): Promise<void> {
    const run = this.#queue.then(() => {
      const s = state as { t?: unknown; m?: Record<string, unknown>; v?: Record<string, unknown> } | null;
      if (s === null || typeof s !== 'object' || !Number.isSafeInteger(s.t) || (s.t as number) < 0 || typeof s.m !== 'object' || typeof s.v !== 'object') {
        throw new Error('adamw: the saved state has no step count and moments');
      }
      for (const [what, values] of [['first', s.m], ['second', s.v]] as const) {
        for (const slot of this.#slots) {
          const x = values[slot.name];
          if (!(x instanceof Float32Array) || x.length !== slot.size) throw new Error(`adamw ${what} moments: no saved values of length ${slot.size} for ${slot.name}`);
        }
      }
      for (const slot of this.#slots) {
        this.#region(2).set(s.m[slot.name] as Float32Array, slot.offset);
        this.#region(3).set(s.v[slot.name] as Float32Array, slot.offset);
      }
      this.#t = s.t as number;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  dispose(): void {
    this.#disposed = true;
    this.#given = [];
  }

  /** Region `k` of the memory: 0 parameters, 1 gradients, 2 first moments, 3 second moments. */
  #region(k: number): Float32Array {
    return new Float32Array(this.#kernels.memory.buffer, 4 * k * this.#length, this.#length);
  }
}
