import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '@lmo/core';
import { referenceBackend } from '@lmo/core/reference';
import { onnxBackend, type OnnxTensor } from '@lmo/onnxruntime';
import { AdamW } from '../src/optim/adamw.js';
import { FlatAdamW, hasHostArrays } from '../src/optim/adamw-flat.js';
import { createTrainOptimizer, nanoGptSchedule } from '../src/optim/factory.js';
import { AdamWKernels } from '../src/optim/wasm-kernels.js';

/** nanoGPT's AdamW in float64, straight from the formulas (clip at the global norm, decay on 2-D only). */
function adamw64(
  params: Float64Array[], shapes: number[][], grads: Float64Array[][], lrs: number[],
  o = { beta1: 0.9, beta2: 0.99, eps: 1e-8, wd: 0.1, clip: 1 },
): Float64Array[] {
  const p = params.map((x) => Float64Array.from(x));
  const m = p.map((x) => new Float64Array(x.length));
  const v = p.map((x) => new Float64Array(x.length));
  grads.forEach((gs, k) => {
    const t = k + 1;
    const norm = Math.sqrt(gs.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    const c = Math.min(1, o.clip / (norm + 1e-6));
    p.forEach((x, i) => {
      const decay = shapes[i]!.length >= 2 ? 1 - lrs[k]! * o.wd : 1;
      for (let j = 0; j < x.length; j++) {
        const g = c * gs[i]![j]!;
        m[i]![j] = o.beta1 * m[i]![j]! + (1 - o.beta1) * g;
        v[i]![j] = o.beta2 * v[i]![j]! + (1 - o.beta2) * g * g;
        const mhat = m[i]![j]! / (1 - o.beta1 ** t);
        const vhat = v[i]![j]! / (1 - o.beta2 ** t);
        x[j] = x[j]! * decay - lrs[k]! * (mhat / (Math.sqrt(vhat) + o.eps));
      }
    });
  });
  return p;
}

describe('FlatAdamW (one fused pass over flat buffers)', () => {
  const b = onnxBackend({ intraOpNumThreads: 1 });
  afterAll(() => b.close());

  it('the kernels: Σx² in float64 over a range, and the update of every element', () => {
    const k = new AdamWKernels(4 * 4 * 8);
    const f = new Float32Array(k.memory.buffer);
    f.set([1, -2, 3, 0.5, 1e20, 0, 0, 0], 8);
    expect(k.sumSquares(32, 32)).toBe(1 + 4 + 9 + 0.25 + Math.fround(1e20) ** 2); // beyond float32's range: no overflow
    f.set([1, 2, 3, 4], 0); // p
    f.set([0.5, -1, 0, 2], 8); // g
    f.set([0.1, 0.1, 0.1, 0.1], 16); // m
    f.set([1, 1, 1, 1], 24); // v
    k.adamw(16, 0, 32, 64, 96, { beta1: 0.9, c1: 0.1, beta2: 0.99, c2: 0.01, s2: 2, eps: 0.5, decay: 0.9, step: -0.1 });
    [1, 2, 3, 4].forEach((p, j) => {
      const g = [0.5, -1, 0, 2][j]!;
      const m = 0.9 * 0.1 + 0.1 * g;
      const v = 0.99 + 0.01 * g * g;
      expect(f[16 + j]).toBeCloseTo(m, 6);
      expect(f[24 + j]).toBeCloseTo(v, 6);
      expect(f[j]).toBeCloseTo(0.9 * p - (0.1 * m) / (Math.sqrt(v) * 2 + 0.5), 6);
    });
  });

  it('three steps equal AdamW in float64 (clipped and not, odd sizes, 1-D and 0-D parameters)', async () => {
    expect(hasHostArrays(b)).toBe(true);
    expect(hasHostArrays(referenceBackend)).toBe(false);
    const rng = new Random(11);
    const shapes = [[5, 3], [7], [2, 2, 3], [], [4, 9]];
    const size = (s: number[]) => s.reduce((a, d) => a * d, 1);
    const init = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.normal()));
    const params = new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(init[i]!, s)] as const));
    const schedule = nanoGptSchedule(10, 2);
    const opt = createTrainOptimizer('adamw', b, params, 0.01, schedule);
    expect(opt).toBeInstanceOf(FlatAdamW);
    const scales = [3, 0.01, 1]; // the global norm is > 1 (clipped), < 1, then about 1
    const grads = scales.map((s) => shapes.map((sh) => Float32Array.from({ length: size(sh) }, () => s * rng.normal())));
    const lrs: number[] = [];
    for (const gs of grads) {
      lrs.push(opt.currentLr());
      await opt.step(new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(gs[i]!, s)] as const)));
    }
    const want = adamw64(init.map((x) => Float64Array.from(x)), shapes, grads.map((gs) => gs.map((g) => Float64Array.from(g))), lrs);
    for (let i = 0; i < shapes.length; i++) {
      const got = await b.read(params.get(`p${i}`)!);
      want[i]!.forEach((w, j) => expect(Math.abs(got[j]! - w), `p${i}[${j}]`).toBeLessThan(1e-6 * Math.max(1, Math.abs(w))));
    }
    expect(opt.ownedBytes).toBeGreaterThanOrEqual(4 * 4 * shapes.reduce((a, s) => a + size(s), 0));
    opt.dispose();
  });

  it('overlapping steps give what awaited steps give; a parameter changed elsewhere is read again', async () => {
    const shapes = [[3, 4], [6]];
    const make = () => new Map<string, OnnxTensor>(shapes.map((s, i) => [`p${i}`, b.fromArray(Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, (_, j) => Math.sin(i + j)), s)] as const));
    const grads = (k: number) => new Map(shapes.map((s, i) => [`p${i}`, b.fromArray(Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, (_, j) => Math.cos(k + i * j)), s)] as const));
    const [pa, pb] = [make(), make()];
    const [oa, ob] = [new FlatAdamW(b, pa, { lr: 0.01 }), new FlatAdamW(b, pb, { lr: 0.01 })];
    await Promise.all([oa.step(grads(1)), oa.step(grads(2)), oa.step(grads(3))]);
    for (const k of [1, 2, 3]) await ob.step(grads(k));
    for (const name of ['p0', 'p1']) expect(await b.read(pa.get(name)!)).toEqual(await b.read(pb.get(name)!));
    // an assignment from elsewhere: the next step starts from it
    await b.run(() => b.assign(pa.get('p1')!, b.fromArray(new Float32Array(6).fill(2), [6])));
    await oa.step(grads(4));
    const p1 = await b.read(pa.get('p1')!);
    expect(Math.abs(p1[0]! - 2)).toBeLessThan(0.05);
    await expect(oa.step()).rejects.toThrow(/needs the gradients/);
    oa.dispose();
    await expect(oa.step(grads(5))).rejects.toThrow(/after dispose/);
  });

  it("saves and loads AdamW's state format: a checkpoint of the contract AdamW continues here, and back", async () => {
    const shapes = [[4, 3], [5]];
    const size = (sh: number[]) => sh.reduce((a, d) => a * d, 1);
    const values = shapes.map((sh, i) => Float32Array.from({ length: size(sh) }, (_, j) => Math.sin(3 * i + j)));
    const grads = (k: number) => shapes.map((sh, i) => Float32Array.from({ length: size(sh) }, (_, j) => Math.cos(k + i + 2 * j)));
    // two steps of AdamW on the reference backend
    const rp = new Map(shapes.map((sh, i) => [`p${i}`, referenceBackend.fromArray(values[i]!, sh)] as const));
    const ref = new AdamW(referenceBackend, rp, { lr: 0.01 });
    for (const k of [1, 2]) await ref.step(new Map(shapes.map((sh, i) => [`p${i}`, referenceBackend.fromArray(grads(k)[i]!, sh)] as const)));
    // continue from its state and weights with the flat AdamW
    const fp = new Map<string, OnnxTensor>(shapes.map((sh, i) => [`p${i}`, b.fromArray(referenceBackend.read(rp.get(`p${i}`)!), sh)] as const));
    const flat = new FlatAdamW(b, fp, { lr: 0.01 });
    await flat.loadState(await ref.saveState());
    expect(flat.stepCount).toBe(2);
    await ref.step(new Map(shapes.map((sh, i) => [`p${i}`, referenceBackend.fromArray(grads(3)[i]!, sh)] as const)));
    await flat.step(new Map(shapes.map((sh, i) => [`p${i}`, b.fromArray(grads(3)[i]!, sh)] as const)));
    for (let i = 0; i < shapes.length; i++) {
      const want = referenceBackend.read(rp.get(`p${i}`)!);
      const got = await b.read(fp.get(`p${i}`)!);
      want.forEach((w, j) => expect(Math.abs(got[j]! - w)).toBeLessThan(1e-6));
    }
    const saved = await flat.saveState();
    expect(saved.t).toBe(3);
    const back = new AdamW(referenceBackend, rp, { lr: 0.01 });
    await back.loadState(saved);
    expect(back.stepCount).toBe(3);
    await expect(flat.loadState({ t: 1, m: {}, v: {} })).rejects.toThrow(/first moments: no saved values of length 12 for p0/);
    await expect(flat.loadState(null)).rejects.toThrow(/no step count and moments/);
    expect(flat.stepCount).toBe(3); // nothing changed
  });
});
