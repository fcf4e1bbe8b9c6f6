/**
 * AdamW on a backend's host arrays (`TensorBackend.host`): the same update as the AdamW groups of
 * the tensor path, as one WebAssembly SIMD pass per parameter over flat memory instead of a graph
 * of primitives. Two regions of one memory hold both moments (`exp_avg`, `exp_avg_sq`) of every
 * parameter back to back, each parameter at an offset that is a multiple of four floats (the
 * layout); two more stage the gradients and the parameters. A layout of up to 2²⁰ floats is staged
 * whole: the gradients are copied in once a step, and the parameters stay in their region between
 * steps (a parameter's array that is the very one the last step handed it is not copied in again;
 * backends never change an array in place, see `HostArrays`). A larger one is staged a stretch of
 * 2¹⁸ floats at a time, so that no whole copy of either is kept: AdamW then holds its two moments,
 * 8 bytes per parameter, and two stretches (2 MiB). A step, in the backend's call order:
 *
 * 1. sums the gradients' squares in float64: the clip coefficient `c = min(1, clip/(‖g‖ + 10⁻⁶))`,
 *    and the non-finite check (the sum is finite exactly when every gradient is),
 * 2. updates every element, four lanes at a time (float32, as PyTorch's AdamW):
 *    `m ← β₁m + (1 − β₁)c·g;  v ← β₂v + (1 − β₂)c²g²;  x ← (1 − γλ)x − γ/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε)`,
 *    and copies each parameter's new values out into a fresh array (arrays already given out are
 *    never written again), which the step hands back.
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
/**
 * The parameters of a step: their plans and places (in the step's order), their indices in
 * the order of the layout, and the runs the kernels take.
 */
interface StepLayout {
  readonly plans: readonly ParameterPlan[];
  readonly places: readonly Place[];
  readonly order: readonly number[];
  readonly squares: readonly Run[];
  readonly update: readonly Run[];
}

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;
/** Floats of the largest layout staged whole. */
const WHOLE = 1 << 20;
/** Floats of each staging region of a larger layout (a stretch of it the kernels take at once). */
const STRETCH = 1 << 18;

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

/** The places of `order` (sorted by offset) merged into runs of neighbours that `same` lets share one. */
function contiguous(plans: readonly ParameterPlan[], places: readonly Place[], order: readonly number[], same: (a: ParameterPlan, b: ParameterPlan) => boolean): Run[] {
  const runs: Run[] = [];
  for (const i of order) {
    const [p, plan, last] = [places[i]!, plans[i]!, runs[runs.length - 1]];
    if (last !== undefined && same(last.plan, plan) && last.offset + last.length === p.offset) last.length += roundUp4(p.size);
    else runs.push({ offset: p.offset, length: roundUp4(p.size), plan });
  }
  return runs;
}

/** The step layout of `plans` placed at `places`. */
function stepLayout(plans: readonly ParameterPlan[], places: readonly Place[]): StepLayout {
  const order = places.map((_, i) => i).sort((a, b) => places[a]!.offset - places[b]!.offset);
  return { plans, places, order, squares: contiguous(plans, places, order, () => true), update: contiguous(plans, places, order, (a, b) => runKey(a) === runKey(b)) };
}

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
  /** Floats per staging region: the whole layout, or a stretch of it. */
  #stretch = 0;
  /** Whether the layout is staged whole (then the parameters' region holds their values between steps). */
  #whole = false;
  /** The array the last step handed each parameter (by name), while the layout is staged whole. */
  #given = new Map<string, Float32Array>();
  /** The layout of a step over every parameter, in the order `layout` was given them. */
  #all: StepLayout = stepLayout([], []);

  constructor(host: HostArrays<T>) {
    this.#host = host;
  }

  /** Bytes of its memory: both moments, and the staging of the gradients and the parameters. */
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
    const whole = length <= WHOLE;
    const stretch = whole ? Math.max(length, 4) : STRETCH;
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
    this.#whole = whole;
    this.#given = new Map();
    this.#all = stepLayout(plans, plans.map((plan) => places.get(plan.name)!));
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
      const n = items.length;
      // a step over every parameter (in the layout's order) uses the layout's runs; one that skips some, its own
      const all = this.#all;
      const at = n === all.plans.length && items.every((item, i) => item.plan === all.plans[i]) ? all : stepLayout(items.map((item) => item.plan), items.map((item) => this.#places.get(item.plan.name)!));
      const whole = this.#whole;
      if (whole) this.#stageIn(at, arrays, n, 0, this.#length, this.#stage(0, 0));
      let total = 0;
      for (const r of at.squares) {
        this.#stretches(r, (from, size) => {
          if (!whole) this.#stageIn(at, arrays, n, from, size, this.#stage(0, from));
          total += kernels.sumSquares(this.#stage(0, from), 4 * size);
        });
      }
      if (!Number.isFinite(total) && rule.nonFinite !== 'ignore') {
        if (rule.nonFinite === 'skip') {
          counters.skipped();
          return undefined;
        }
        const names = items.flatMap((item, i) => (arrays[n + i]!.subarray(0, at.places[i]!.size).every(Number.isFinite) ? [] : [`"${item.plan.name}"`]));
        throw new LmoError('NON_FINITE_GRADIENT', `a gradient contains NaN or Inf (in ${names.join(', ')}); nothing was updated`);
      }
      const c = rule.clip === undefined ? 1 : Math.min(1, rule.clip / (Math.sqrt(total) + 1e-6));
      const t = counters.step() + 1;
      // staged whole, a parameter's values are copied in only when its array is not the one handed out last
      if (whole) this.#stageIn(at, arrays, 0, 0, this.#length, this.#stage(1, 0), (i) => arrays[i] !== this.#given.get(at.plans[i]!.name));
      const out = whole ? [] : at.places.map((place) => new Float32Array(place.size));
      const lrs = new Map(at.update.map((r) => [r.plan.group, 0]));
      for (const group of lrs.keys()) lrs.set(group, rule.learningRate(group, t - 1));
      for (const r of at.update) {
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
        this.#stretches(r, (from, size) => {
          const [g, p] = [this.#stage(0, from), this.#stage(1, from)];
          if (!whole) {
            this.#stageIn(at, arrays, n, from, size, g);
            this.#stageIn(at, arrays, 0, from, size, p);
          }
          kernels.adamw(4 * size, p, g, 4 * from, 4 * (this.#length + from), k);
          if (!whole) this.#stageOut(at, out, from, size, p);
        });
      }
      counters.applied();
      if (!whole) return out;
      // a fresh array filled with `set`, not `slice`: V8 then frees the arrays replaced a step later in its
      // young-generation collections (measured with `slice`: a full mark-compact every ~20 steps, ~15% of the step)
      const staged = new Float32Array(kernels.memory.buffer, this.#stage(1, 0), this.#length);
      return at.places.map(({ offset, size }, i) => {
        const array = new Float32Array(size);
        array.set(staged.subarray(offset, offset + size));
        this.#given.set(at.plans[i]!.name, array);
        return array;
      });
    });
    return andThen(ran, () => undefined);
  }

  /**
   * Byte address of the float at `from` in the layout in staging region `k` (0 gradients, 1
   * parameters): its own place when the layout is staged whole, else the region's start.
   */
  #stage(k: number, from: number): number {
    return 4 * (2 * this.#length + k * this.#stretch + (this.#whole ? from : 0));
  }

  /** Calls `use(from, n)` for each stretch `[from, from + n)` of the run (in floats of the layout). */
  #stretches(run: Run, use: (from: number, n: number) => void): void {
    for (let from = run.offset; from < run.offset + run.length; from += this.#stretch) use(from, Math.min(this.#stretch, run.offset + run.length - from));
  }

  /**
   * Copies what of the step's arrays `arrays[first + i]` (parameter `i` of `at`, those `copy` keeps)
   * lies in the stretch `[from, from + n)` of the layout to the staging region at byte address `at`,
   * zeros in each one's padding (a step's runs are its parameters and their padding, so every float
   * a kernel reads is written).
   */
  #stageIn(at: StepLayout, arrays: readonly Float32Array[], first: number, from: number, n: number, address: number, copy?: (i: number) => boolean): void {
    const stage = new Float32Array(this.#kernels!.memory.buffer, address, n);
    for (const i of at.order) {
      const { offset, size } = at.places[i]!;
      const end = offset + roundUp4(size);
      if (offset >= from + n || end <= from || (copy !== undefined && !copy(i))) continue;
      const [a, b] = [Math.max(from, offset), Math.min(from + n, offset + size)];
      if (a < b) stage.set(arrays[first + i]!.subarray(a - offset, b - offset), a - from);
      stage.fill(0, Math.max(from, offset + size) - from, Math.min(from + n, end) - from);
    }
  }

  /** Copies the stretch `[from, from + n)` of the layout from the staging region at `address` into what of `out` (per parameter of `at`) lies there. */
  #stageOut(at: StepLayout, out: readonly Float32Array[], from: number, n: number, address: number): void {
    const stage = new Float32Array(this.#kernels!.memory.buffer, address, n);
    for (const i of at.order) {
      const { offset, size } = at.places[i]!;
      if (offset >= from + n || offset + size <= from) continue;
      const [a, b] = [Math.max(from, offset), Math.min(from + n, offset + size)];
      out[i]!.set(stage.subarray(a - from, b - from), a - offset);
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
    this.#given = new Map();
  }
}
