/**
 * Every primitive against plain float64 math, in every mode that works here.
 * (The core conformance suite runs in conformance.test.ts; these tests pin the gpu.js specifics:
 * kernel caching, broadcasting, the unrolled matmul's tails, scopes and memory.)
 */
import { describe, expect, it } from 'vitest';
import { createGpujsBackend } from '../src/index.js';
import type { GpujsBackend, GpujsTensor } from '../src/index.js';
import { FULL, modes } from './modes.js';

const cases = await modes();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randn(size: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: size }, () => r() * 2 - 1);
}

function close(actual: Float32Array, expected: ArrayLike<number>, rel = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const a = actual[i] as number;
    if (Number.isNaN(e)) expect(a).toBeNaN();
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(rel * Math.max(scale, 1e-30) + 1e-30);
  }
}

function matmul64(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? (a[p * m + i] as number) : (a[i * k + p] as number);
        const bv = tb ? (b[j * k + p] as number) : (b[p * n + j] as number);
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  return out;
}

function readSync(b: GpujsBackend, x: GpujsTensor): Promise<Float32Array> {
  return Promise.resolve(b.read(x));
}

for (const c of cases) {
  // on emulated GPU modes the conformance suite covers these; LMO_GPUJS_FULL=1 runs them too
  const skip = !c.available ? c.reason : c.slow && !FULL ? 'emulated GPU mode: covered by conformance.test.ts' : '';
  describe.skipIf(skip !== '')(`gpujs ${c.mode}${skip === '' ? '' : ` (skipped: ${skip})`}`, () => {
    const make = (): GpujsBackend => createGpujsBackend(c.options);

    it('round-trips data of every rank', async () => {
      const b = make();
      for (const shape of [[], [5], [2, 3], [2, 3, 4], [1, 1, 2, 2]]) {
        const size = shape.reduce((p, d) => p * d, 1);
        const data = randn(size, size);
        const t = b.fromArray(data, shape);
        expect(b.shape(t)).toEqual(shape);
        close(await readSync(b, t), data, 0);
        const r = b.reshape(t, [size]);
        close(await readSync(b, r), data, 0);
        const z = b.zerosLike(t);
        close(await readSync(b, z), new Float32Array(size), 0);
        b.dispose(t);
        b.dispose(r);
        b.dispose(z);
      }
      expect(b.stats().liveTensors).toBe(0);
      expect(b.stats().liveValues).toBe(0);
      b.destroy();
    });

    it('fromArray copies its input', async () => {
      const b = make();
      const data = new Float32Array([1, 2, 3]);
      const t = b.fromArray(data, [3]);
      data[0] = 99;
      close(await readSync(b, t), [1, 2, 3], 0);
      b.destroy();
    });

    it('elementwise ops and broadcasting', async () => {
      const b = make();
      const [m, n] = [5, 7];
      const A = randn(m * n, 1);
      const B = randn(m * n, 2).map((v) => v + Math.sign(v) * 0.5);
      const R = randn(m, 3).map((v) => v + 2);
      const C = randn(n, 4).map((v) => v - 2);
      const a = b.fromArray(A, [m, n]);
      const bb = b.fromArray(B, [m, n]);
      const row = b.fromArray(R, [m, 1]);
      const col = b.fromArray(C, [1, n]);
      const one = b.fromArray(new Float32Array([3]), [1, 1]);
      const idx = (f: (i: number, j: number) => number): Float64Array =>
        Float64Array.from({ length: m * n }, (_, x) => f(Math.floor(x / n), x % n));
      const at = (X: Float32Array, i: number, j: number): number => X[i * n + j] as number;
      const results: Array<[GpujsTensor, Float64Array]> = [];
      await b.run(() => {
        results.push([b.add(a, bb), idx((i, j) => at(A, i, j) + at(B, i, j))]);
        results.push([b.sub(a, bb), idx((i, j) => at(A, i, j) - at(B, i, j))]);
        results.push([b.mul(a, bb), idx((i, j) => at(A, i, j) * at(B, i, j))]);
        results.push([b.div(a, bb), idx((i, j) => at(A, i, j) / at(B, i, j))]);
        results.push([b.mul(a, row), idx((i, j) => at(A, i, j) * (R[i] as number))]);
        results.push([b.div(a, row), idx((i, j) => at(A, i, j) / (R[i] as number))]);
        results.push([b.mul(a, col), idx((i, j) => at(A, i, j) * (C[j] as number))]);
        results.push([b.div(a, col), idx((i, j) => at(A, i, j) / (C[j] as number))]);
        results.push([b.div(a, one), idx((i, j) => at(A, i, j) / 3)]);
        results.push([b.add(a, row), idx((i, j) => at(A, i, j) + (R[i] as number))]);
        results.push([b.sub(a, col), idx((i, j) => at(A, i, j) - (C[j] as number))]);
        results.push([b.add(a, one), idx((i, j) => at(A, i, j) + 3)]);
        results.push([b.sub(a, one), idx((i, j) => at(A, i, j) - 3)]);
        results.push([b.scale(a, -2.5), idx((i, j) => at(A, i, j) * -2.5)]);
        results.push([b.addScalar(a, 0.75), idx((i, j) => at(A, i, j) + 0.75)]);
        results.push([b.axpby(0.9, a, 0.1, bb), idx((i, j) => 0.9 * at(A, i, j) + 0.1 * at(B, i, j))]);
        results.push([b.abs(a), idx((i, j) => Math.abs(at(A, i, j)))]);
        results.push([b.sqrt(b.abs(a)), idx((i, j) => Math.sqrt(Math.abs(at(A, i, j))))]);
        // keep results alive past the scope by copying into persistent tensors
        for (const r of results) {
          const keep = b.zerosLike(r[0]);
          b.assign(keep, r[0]);
          r[0] = keep;
        }
      });
      for (const [t, e] of results) close(await readSync(b, t), e, 2e-6);
      b.destroy();
    });

    it('sign keeps zeros and NaN', async () => {
      const b = make();
      const x = b.fromArray(new Float32Array([-3, 0, 2.5, NaN, -0.0001, Infinity]), [2, 3]);
      const s = b.sign(x);
      const v = await readSync(b, s);
      expect(Array.from(v.subarray(0, 3))).toEqual([-1, 0, 1]);
      expect(v[3]).toBeNaN();
      expect(Array.from(v.subarray(4))).toEqual([-1, 1]);
      b.destroy();
    });

    it('reductions keep dims', async () => {
      const b = make();
      for (const [m, n] of [
        [4, 6],
        [1, 9],
        [9, 1],
        [1, 1],
        [33, 17],
      ] as const) {
        const X = randn(m * n, m * 100 + n);
        const x = b.fromArray(X, [m, n]);
        const rows = new Float64Array(m);
        const cols = new Float64Array(n);
        let all = 0;
        let mx = 0;
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            const v = X[i * n + j] as number;
            rows[i] = (rows[i] as number) + v * v;
            cols[j] = (cols[j] as number) + v * v;
            all += v * v;
            mx = Math.max(mx, Math.abs(v));
          }
        const r1 = b.sumSquares(x, 1);
        const r0 = b.sumSquares(x, 0);
        const ra = b.sumSquares(x);
        const rm = b.maxAbs(x);
        expect(b.shape(r1)).toEqual([m, 1]);
        expect(b.shape(r0)).toEqual([1, n]);
        expect(b.shape(ra)).toEqual([1, 1]);
        expect(b.shape(rm)).toEqual([1, 1]);
        close(await readSync(b, r1), rows, 1e-6);
        close(await readSync(b, r0), cols, 1e-6);
        close(await readSync(b, ra), [all], 1e-6);
        close(await readSync(b, rm), [mx], 0);
      }
      b.destroy();
    });

    it('maxAbs and allFinite see NaN and Inf', async () => {
      const b = make();
      const ok = b.fromArray(new Float32Array([1, -2, 3, 0]), [2, 2]);
      const nan = b.fromArray(new Float32Array([1, NaN, 3, 0]), [2, 2]);
      const inf = b.fromArray(new Float32Array([1, 2, -Infinity, 0]), [4, 1]);
      expect((await readSync(b, b.maxAbs(nan)))[0]).toBeNaN();
      expect(await b.allFinite([ok])).toBe(true);
      expect(await b.allFinite([ok, nan])).toBe(false);
      expect(await b.allFinite([inf, ok])).toBe(false);
      expect(await b.allFinite([])).toBe(true);
      b.destroy();
    });

    it('matmul with every transpose flag, odd and degenerate shapes', async () => {
      const b = make();
      const shapes: Array<[number, number, number]> = [
        [3, 5, 7],
        [1, 9, 4],
        [9, 1, 4],
        [6, 6, 1],
        [2, 3, 13],
        [17, 5, 33],
        [1, 1, 1],
      ];
      for (const [m, n, k] of shapes)
        for (const ta of [false, true])
          for (const tb of [false, true]) {
            const A = randn(m * k, m + 10 * n + 100 * k);
            const B = randn(k * n, 7 + m * n * k);
            const a = b.fromArray(A, ta ? [k, m] : [m, k]);
            const bb = b.fromArray(B, tb ? [n, k] : [k, n]);
            const p = b.matmul(a, bb, { transposeA: ta, transposeB: tb });
            expect(b.shape(p)).toEqual([m, n]);
            close(await readSync(b, p), matmul64(A, B, m, n, k, ta, tb), 1e-5);
            b.dispose(a);
            b.dispose(bb);
            b.dispose(p);
          }
      expect(() => b.matmul(b.fromArray(new Float32Array(6), [2, 3]), b.fromArray(new Float32Array(6), [2, 3]))).toThrow(/matmul/);
      b.destroy();
    });

    it('transpose', async () => {
      const b = make();
      const X = randn(12, 5);
      const t = b.transpose(b.fromArray(X, [3, 4]));
      expect(b.shape(t)).toEqual([4, 3]);
      close(await readSync(b, t), Float64Array.from({ length: 12 }, (_, x) => X[(x % 3) * 4 + Math.floor(x / 3)] as number), 0);
      b.destroy();
    });

    it('assign writes only when the scope succeeds, in order, into the target of its shape', async () => {
      const b = make();
      const w = b.fromArray(new Float32Array([1, 2, 3, 4]), [2, 2]);
      const view = b.reshape(w, [4]);
      expect(await b.run(() => b.assign(w, b.scale(w, 2)))).toBe(true);
      close(await readSync(b, w), [2, 4, 6, 8], 0);
      close(await readSync(b, view), [2, 4, 6, 8], 0);
      let committed = 0;
      const failing = Promise.resolve().then(() =>
        b.run(
          () => {
            b.assign(w, b.scale(w, 10));
            throw new Error('boom');
          },
          { onCommit: () => committed++ },
        ),
      );
      await expect(failing).rejects.toThrow('boom');
      expect(committed).toBe(0);
      close(await readSync(b, w), [2, 4, 6, 8], 0);
      // outside a scope assign is immediate (in call order on webgpu)
      b.assign(w, b.fromArray(new Float32Array([0, 0, 0, 1]), [2, 2]));
      close(await readSync(b, w), [0, 0, 0, 1], 0);
      // the value must have the target's shape, not only its size
      expect(() => b.assign(w, b.fromArray(new Float32Array(4), [4]))).toThrow(/target's shape/);
      // writes apply in order, each copying its value when applied: both end up with v's old values
      const u = b.fromArray(new Float32Array([5, 6, 7, 8]), [2, 2]);
      await b.run(() => {
        b.assign(w, u);
        b.assign(u, w);
      });
      close(await readSync(b, w), [5, 6, 7, 8], 0);
      close(await readSync(b, u), [5, 6, 7, 8], 0);
      // a non-finite guard vetoes the scope; a nested run is applied with the outer one
      const bad = b.fromArray(new Float32Array([1, Infinity]), [2]);
      expect(await b.run(() => b.assign(w, b.scale(w, 2)), { guard: [bad] })).toBe(false);
      close(await readSync(b, w), [5, 6, 7, 8], 0);
      await b.run(() => {
        void b.run(() => b.assign(u, b.addScalar(u, 1)));
        b.assign(w, b.scale(w, 2));
      });
      close(await readSync(b, w), [10, 12, 14, 16], 0);
      close(await readSync(b, u), [6, 7, 8, 9], 0);
      b.destroy();
    });

    it('compiles one kernel per (op, shape) and frees scope temporaries', async () => {
      const b = make();
      const w = b.fromArray(randn(64, 1), [8, 8]);
      const g = b.fromArray(randn(64, 2), [8, 8]);
      const step = (lr: number): unknown =>
        b.run(() => {
          const d = b.div(g, b.addScalar(b.sqrt(b.sumSquares(g, 0)), 1e-8));
          b.assign(w, b.axpby(1 - lr, w, -lr, b.matmul(d, d, { transposeB: true })));
        });
      await step(0.1);
      const s1 = b.stats();
      await step(0.2);
      await step(0.3);
      const s2 = b.stats();
      expect(s2.kernels).toBe(s1.kernels);
      expect(s2.liveValues).toBe(s1.liveValues);
      expect(s2.liveTensors).toBe(2);
      b.destroy();
    });
  });
}
