/**
 * AdamW on a backend's host arrays (`TensorBackend.host`): the same update as the AdamW groups of
 * the tensor path, as one WebAssembly SIMD pass per parameter over flat memory instead of a graph
 * of primitives. Two regions of one memory hold both moments (`exp_avg`, `exp_avg_sq`) of every
 * parameter back to back, each parameter at an offset that is a multiple of four floats (the
 * layout); two small ones stage the gradients and the parameters a stretch of the layout at a time,
 * so that no whole copy of either is kept: AdamW holds its two moments, 8 bytes per parameter, and
 * the stretches. A step, in the backend's call order:
 *
 * 1. sums the gradients' squares in float64, a stretch at a time: the clip coefficient
 *    `c = min(1, clip/(‖g‖ + 10⁻⁶))`, and the non-finite check (the sum is finite exactly when every
 *    gradient is),
 * 2. updates every element, a stretch at a time, four lanes at a time (float32, as PyTorch's AdamW):
 *    `m ← β₁m + (1 − β₁)c·g;  v ← β₂v + (1 − β₂)c²g²;  x ← (1 − γλ)x − γ/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)`,
 *    the stretch's gradients and parameters copied in, its new parameters copied out into a fresh
 *    array for each parameter (arrays already given out are never written again), which the step
 *    hands back.
 *
 * The moments change only once every check has passed, so a step that fails changes nothing.
 */
import type { HostArrays, MaybePromise } from '../backend/contract.js';
import { andThen } from '../backend/maybe.js';
import { LmoError } from '../errors.js';
import { sizeOf } from '../shape.js';
import { AdamWKernels } from '../wasm/adamw-kernels.js';
import type { ParameterPlan, UpdateItem, UpdateRule } from './rule.js';
import type { BufferName } from './state.js';

interface Place {
  readonly offset: number;
  readonly size: number;
}
/** A parameter's place, with a host array of its values there (its gradient, its parameter). */
type Placed = Place & { readonly data: Float32Array };

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;
/** Floats of each staging region (a stretch of the layout the kernels take at once). */
const STAGE = 1 << 18;

/** A stretch of neighbouring parameters (in memory) that one kernel call covers. */
interface Run {
  /** Offset and length in floats. */
  offset: number;
  length: number;
  /** A parameter of the stretch: its group and rank give the stretch's numbers. */
  readonly plan: ParameterPlan;
}

/** Whether a parameter is decayed, and its group: what its kernel numbers depend on. */
const runKey = (plan: ParameterPlan): string => `${plan.group.index}:${plan.shape.length >= 2}`;

/** Places merged into runs of neighbours with the same key (`same`: whether two plans may share a run). */
function contiguous(places: ReadonlyArray<Place & { readonly plan: ParameterPlan }>, same: (a: ParameterPlan, b: ParameterPlan) => boolean): Run[] {
  const runs: Run[] = [];
  for (const p of [...places].sort((a, b) => a.offset - b.offset)) {
    const last = runs[runs.length - 1];
    if (last !== undefined && same(last.plan, p.plan) && last.offset + last.length === p.offset) last.length += roundUp4(p.size);
    else runs.push({ offset: p.offset, length: roundUp4(p.size), plan: p.plan });
  }
  return runs;
}

const anyRun = (): boolean => true;
const sameNumbers = (a: ParameterPlan, b: ParameterPlan): boolean => runKey(a) === runKey(b);

/** The optimizer's counters, read and moved inside the step's turn. */
export interface StepCounters {
  step(): number;
  applied(): void;
  skipped(): void;
}

export class HostAdamW<T> {
  readonly #host: HostArrays<T>;
  #kernels: AdamWKernels | undefined;
  #places = new Map<string, Place>();
  /** Floats per region. */
  #length = 0;
  /** Floats per staging region. */
  #stretch = 0;
  /** The runs of a step over every parameter: for the sum of squares, and for the update. */
  #all: { readonly squares: Run[]; readonly update: Run[] } = { squares: [], update: [] };

  constructor(host: HostArrays<T>) {
    this.#host = host;
  }

  /** Bytes of its memory: both moments, and a stretch of gradients and one of parameters. */
  get bytes(): number {
    return this.#kernels?.memory.buffer.byteLength ?? 0;
  }

  /**
   * Lays the parameters out (again, after `add`), keeping the moments of those already placed: by
   * group, the decayed matrices first, so that a whole step is a few long kernel runs.
   */
  layout(plans: readonly ParameterPlan[]): void {
    const places = new Map<string, Place>();
    let length = 0;
    const order = (p: ParameterPlan): number => 2 * p.group.index + (p.shape.length >= 2 ? 0 : 1);
    for (const plan of [...plans].sort((a, b) => order(a) - order(b))) {
      const size = sizeOf(plan.shape);
      places.set(plan.name, { offset: length, size });
      length += roundUp4(size);
    }
    const stretch = Math.min(STAGE, Math.max(length, 4));
    const kernels = new AdamWKernels(4 * (2 * length + 2 * stretch));
    if (this.#kernels !== undefined) {
      for (const [name, old] of this.#places) {
        const place = places.get(name)!;
        for (const k of [0, 1]) this.#region(k, kernels, length).set(this.#region(k).subarray(old.offset, old.offset + old.size), place.offset);
      }
    }
    this.#kernels = kernels;
    this.#places = places;
    this.#length = length;
    this.#stretch = stretch;
    const placed = plans.map((plan) => ({ ...places.get(plan.name)!, plan }));
    this.#all = { squares: contiguous(placed, anyRun), update: contiguous(placed, sameNumbers) };
  }

  /** Region `k` of the memory: 0 first moments, 1 second moments (then the two staging regions, shorter). */
  #region(k: number, kernels = this.#kernels!, length = this.#length): Float32Array {
    return new Float32Array(kernels.memory.buffer, 4 * k * length, length);
  }

  /** One step of `items` (their gradients given), when its turn comes. */
  step(rule: UpdateRule, items: readonly UpdateItem<T>[], counters: StepCounters): MaybePromise<void> {
    const params = items.map((item) => item.param);
    const ran = this.#host.run([...params, ...items.map((item) => item.grad)], params, (arrays) => {
      const kernels = this.#kernels!;
      const places = items.map((item) => this.#places.get(item.plan.name)!);
      const sorted = (k: number): Placed[] => places.map((place, i) => ({ ...place, data: arrays[k + i]! })).sort((x, y) => x.offset - y.offset);
      const grads = sorted(items.length);
      // a step over every parameter uses the layout's runs; a step that skips some, runs of its own
      const placed = items.length === this.#places.size ? undefined : places.map((place, i) => ({ ...place, plan: items[i]!.plan }));
      const runs = placed === undefined ? this.#all : { squares: contiguous(placed, anyRun), update: contiguous(placed, sameNumbers) };
      let total = 0;
      for (const r of runs.squares) {
        this.#stretches(r, (from, n) => {
          this.#stageIn(grads, from, n, this.#stage);
          total += kernels.sumSquares(this.#stage, 4 * n);
        });
      }
      if (!Number.isFinite(total) && rule.nonFinite !== 'ignore') {
        if (rule.nonFinite === 'skip') {
          counters.skipped();
          return undefined;
        }
        const names = items.flatMap((item, i) => (arrays[items.length + i]!.subarray(0, places[i]!.size).every(Number.isFinite) ? [] : [`"${item.plan.name}"`]));
        throw new LmoError('NON_FINITE_GRADIENT', `a gradient contains NaN or Inf (in ${names.join(', ')}); nothing was updated`);
      }
      const c = rule.clip === undefined ? 1 : Math.min(1, rule.clip / (Math.sqrt(total) + 1e-6));
      const t = counters.step() + 1;
      const values = sorted(0);
      const fresh = places.map((place) => new Float32Array(place.size));
      const out = places.map((place, i) => ({ ...place, data: fresh[i]! })).sort((x, y) => x.offset - y.offset);
      const lrs = new Map(runs.update.map((r) => [r.plan.group, 0]));
      for (const group of lrs.keys()) lrs.set(group, rule.learningRate(group, t - 1));
      for (const r of runs.update) {
        const { betas, eps, weightDecay } = r.plan.group.adamw!;
        const lr = lrs.get(r.plan.group)!;
        const k = {
          beta1: betas[0],
          c1: (1 - betas[0]) * c,
          beta2: betas[1],
          c2: (1 - betas[1]) * c * c,
          s2: 1 / Math.sqrt(1 - betas[1] ** t),
          eps,
          decay: r.plan.shape.length >= 2 ? 1 - lr * weightDecay : 1,
          step: -lr / (1 - betas[0] ** t),
        };
        const p = this.#stage + 4 * this.#stretch;
        this.#stretches(r, (from, n) => {
          this.#stageIn(grads, from, n, this.#stage);
          this.#stageIn(values, from, n, p);
          kernels.adamw(4 * n, p, this.#stage, 4 * from, 4 * (this.#length + from), k);
          this.#stageOut(out, from, n, p);
        });
      }
      counters.applied();
      return fresh;
    });
    return andThen(ran, () => undefined);
  }

  /** Byte address of the gradients' staging region (the parameters' follows it). */
  get #stage(): number {
    return 4 * 2 * this.#length;
  }

  /** Calls `use(from, n)` for each stretch `[from, from + n)` of the run (in floats of the layout). */
  #stretches(run: Run, use: (from: number, n: number) => void): void {
    for (let from = run.offset; from < run.offset + run.length; from += this.#stretch) use(from, Math.min(this.#stretch, run.offset + run.length - from));
  }

  /**
   * Copies what of `arrays` (sorted by offset) lies in the stretch `[from, from + n)` of the layout
   * to the staging region at byte address `at`, zeros in the padding.
   */
  #stageIn(arrays: readonly Placed[], from: number, n: number, at: number): void {
    const stage = new Float32Array(this.#kernels!.memory.buffer, at, n);
    stage.fill(0);
    for (const x of arrays) {
      if (x.offset >= from + n || x.offset + x.size <= from) continue;
      const [a, b] = [Math.max(from, x.offset), Math.min(from + n, x.offset + x.size)];
      stage.set(x.data.subarray(a - x.offset, b - x.offset), a - from);
    }
  }

  /** Copies the stretch `[from, from + n)` of the layout from the staging region at `at` into what of `arrays` lies there. */
  #stageOut(arrays: readonly Placed[], from: number, n: number, at: number): void {
    const stage = new Float32Array(this.#kernels!.memory.buffer, at, n);
    for (const x of arrays) {
      if (x.offset >= from + n || x.offset + x.size <= from) continue;
      const [a, b] = [Math.max(from, x.offset), Math.min(from + n, x.offset + x.size)];
      x.data.set(stage.subarray(a - from, b - from), a - x.offset);
    }
  }

  /** Both moments of every parameter, after every step issued before. */
  read(plans: readonly ParameterPlan[]): MaybePromise<Array<ReadonlyMap<BufferName, Float32Array>>> {
    let snapshot: Array<ReadonlyMap<BufferName, Float32Array>> = [];
    const ran = this.#host.run([], [], () => {
      snapshot = plans.map((plan) => {
        const { offset, size } = this.#places.get(plan.name)!;
        return new Map([
          ['exp_avg', this.#region(0).slice(offset, offset + size)],
          ['exp_avg_sq', this.#region(1).slice(offset, offset + size)],
        ]);
      });
      return undefined;
    });
    return andThen(ran, () => snapshot);
  }

  /** Writes validated moments (per plan) and calls `restore`, in call order. */
  write(plans: readonly ParameterPlan[], buffers: ReadonlyArray<ReadonlyMap<BufferName, Float32Array>>, restore: () => void): MaybePromise<void> {
    const ran = this.#host.run([], [], () => {
      plans.forEach((plan, i) => {
        const { offset } = this.#places.get(plan.name)!;
        this.#region(0).set(buffers[i]!.get('exp_avg')!, offset);
        this.#region(1).set(buffers[i]!.get('exp_avg_sq')!, offset);
      });
      restore();
      return undefined;
    });
    return andThen(ran, () => undefined);
  }

  dispose(): void {
    this.#kernels = undefined;
  }
}
