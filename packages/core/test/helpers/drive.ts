/**
 * Drives an optimizer on the reference backend and its float64 simulation side by side.
 */
import { expect } from 'vitest';
import type { LmoOptimizer } from '../../src/optimizer/optimizer.js';
import type { RefTensor } from '../../src/reference/index.js';
import { ref, tensor, values } from './backend.js';
import { mat, relError, simStep, type Mat, type SimParam } from './f64.js';

export interface Layout {
  readonly [name: string]: readonly number[];
}

/** The [rows, cols] view of a shape the way the norms see it (vectors and higher ranks as one row). */
export function view(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  return [1, shape.reduce((a, d) => a * d, 1)];
}

/** Parameters with the given values (rounded to float32) and float64 copies of the rounded values. */
export function makeParams(layout: Layout, init: (name: string, n: number) => number[]): { params: Record<string, RefTensor>; x64: Record<string, Mat> } {
  const params: Record<string, RefTensor> = {};
  const x64: Record<string, Mat> = {};
  for (const [name, shape] of Object.entries(layout)) {
    const n = shape.reduce((a, d) => a * d, 1);
    const t = tensor(init(name, n), shape);
    params[name] = t;
    const [r, c] = view(shape);
    x64[name] = mat(r, c, values(t));
  }
  return { params, x64 };
}

/**
 * Takes `steps` steps with `grads(k)` and compares every parameter (and momentum buffer, via
 * getState) with the simulation after each step. `factor(k)` is the schedule's value at step k.
 * Returns the smallest |d| seen by parameters named in `signed` (a precondition for sign LMOs).
 */
export function driveSync(
  opt: LmoOptimizer<RefTensor>,
  params: Readonly<Record<string, RefTensor>>,
  sims: readonly SimParam[],
  layout: Layout,
  grads: (k: number) => Record<string, number[]>,
  factor: (k: number) => number,
  steps: number,
  tol: number,
  signed: readonly string[] = [],
): number {
  let minAbsD = Infinity;
  for (let k = 0; k < steps; k++) {
    const gk = grads(k);
    const gt: Record<string, RefTensor> = {};
    for (const [name, g] of Object.entries(gk)) gt[name] = tensor(g, layout[name]!);
    expect(opt.stepCount).toBe(k);
    const r = opt.step(gt);
    expect(r).toBeUndefined(); // synchronous backend → synchronous step
    for (const p of sims) {
      const [rows, cols] = view(layout[p.name]!);
      // The optimizer sees the float32-rounded gradient.
      const d = simStep(p, mat(rows, cols, values(gt[p.name]!)), factor(k));
      if (signed.includes(p.name)) for (const v of d.data) minAbsD = Math.min(minAbsD, Math.abs(v));
    }
    const state = opt.getState();
    if (state instanceof Promise) throw new Error('expected a synchronous state');
    for (const p of sims) {
      const err = relError(values(params[p.name]!), p.x.data);
      expect(err, `${p.name} at step ${k}`).toBeLessThanOrEqual(tol);
      const saved = state.parameters.find((s) => s.name === p.name);
      expect(saved, p.name).toBeDefined();
      if (p.d === undefined) {
        expect(saved!.buffers, `${p.name} keeps no buffer`).toBeUndefined();
      } else {
        expect(saved!.buffers?.momentum, `${p.name} keeps a buffer`).toBeInstanceOf(Float32Array);
        expect(relError(saved!.buffers!.momentum!, p.d.data), `buffer of ${p.name} at step ${k}`).toBeLessThanOrEqual(tol);
      }
    }
    expect(opt.stepCount).toBe(k + 1);
  }
  return minAbsD;
}

export { ref };
