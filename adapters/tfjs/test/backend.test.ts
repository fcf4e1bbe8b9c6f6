import * as tf from '@tensorflow/tfjs-core';
import { QUINTIC, polynomialSteps64 } from '@lmo/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend } from '../src/backend.js';
import { ENGINES, useEngine } from './helpers/engines.js';

const b = createTfjsBackend();

function matrix(rows: number, cols: number, seed = 1): Float32Array {
  const out = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648) * 2 - 1;
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    expect(Math.abs(actual[i]! - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

describe.each(ENGINES)('tfjs binding primitives on %s', (engine) => {
  beforeAll(async () => {
    await useEngine(engine);
  });

  it('names itself after the active tfjs backend', () => {
    expect(b.name).toBe(`tfjs-${engine}`);
  });

  it('fromArray copies its input, read returns a copy, and both survive tidy', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    let x: tf.Tensor | undefined;
    tf.tidy(() => {
      x = b.fromArray(data, [2, 3]);
    });
    data[0] = 99;
    expect(x!.isDisposed).toBe(false);
    const r = b.read(x!) as Float32Array;
    r[1] = 42;
    expect(Array.from(b.read(x!) as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(b.shape(x!)).toEqual([2, 3]);
    b.dispose(x!);
  });

  it('handles scalars and 1-D tensors in fromArray/zerosLike/reshape/assign', () => {
    const s = b.fromArray(new Float32Array([3]), []);
    const v = b.fromArray(new Float32Array([1, 2, 3, 4]), [4]);
    const z = b.zerosLike(v);
    expect(b.shape(s)).toEqual([]);
    expect(Array.from(b.read(z) as Float32Array)).toEqual([0, 0, 0, 0]);
    expect(() => b.run(() => b.assign(z, b.reshape(v, [2, 2])))).toThrow(/shape/);
    b.run(() => b.assign(z, b.reshape(b.scale(b.reshape(v, [2, 2]), 2), [4])));
    expect(Array.from(b.read(z) as Float32Array)).toEqual([2, 4, 6, 8]);
    expect(b.shape(z)).toEqual([4]);
    [s, v, z].forEach((t) => b.dispose(t));
  });

  it('elementwise ops broadcast rows, columns and scalars', () => {
    const a = b.fromArray(matrix(3, 4, 7), [3, 4]);
    const c = b.fromArray(matrix(3, 4, 9), [3, 4]);
    const row = b.fromArray(new Float32Array([1, 2, 4, 8]), [1, 4]);
    const col = b.fromArray(new Float32Array([2, 4, 8]), [3, 1]);
    const one = b.fromArray(new Float32Array([0.5]), [1, 1]);
    const av = matrix(3, 4, 7);
    const cv = matrix(3, 4, 9);
    b.run(() => {
      close(b.read(b.add(a, c)) as Float32Array, av.map((x, i) => x + cv[i]!));
      close(b.read(b.sub(a, c)) as Float32Array, av.map((x, i) => x - cv[i]!));
      close(b.read(b.mul(a, c)) as Float32Array, av.map((x, i) => x * cv[i]!));
      close(b.read(b.div(a, row)) as Float32Array, av.map((x, i) => x / [1, 2, 4, 8][i % 4]!));
      close(b.read(b.mul(a, col)) as Float32Array, av.map((x, i) => x * [2, 4, 8][Math.floor(i / 4)]!));
      close(b.read(b.div(a, one)) as Float32Array, av.map((x) => x / 0.5));
      close(b.read(b.scale(a, -3)) as Float32Array, av.map((x) => -3 * x));
      close(b.read(b.addScalar(a, 1.5)) as Float32Array, av.map((x) => x + 1.5));
      close(b.read(b.axpby(0.9, a, 0.1, c)) as Float32Array, av.map((x, i) => 0.9 * x + 0.1 * cv[i]!));
      close(b.read(b.axpby(0, a, 2, c)) as Float32Array, cv.map((x) => 2 * x));
      close(b.read(b.abs(a)) as Float32Array, av.map((x) => Math.abs(x)));
      close(b.read(b.sqrt(b.abs(a))) as Float32Array, av.map((x) => Math.sqrt(Math.abs(x))));
    });
    [a, c, row, col, one].forEach((t) => b.dispose(t));
  });

  it('sign keeps NaN and maps 0 to 0', () => {
    const x = b.fromArray(new Float32Array([NaN, 0, -0, 2, -3, Infinity, -Infinity]), [1, 7]);
    b.run(() => {
      const s = Array.from(b.read(b.sign(x)) as Float32Array);
      expect(Number.isNaN(s[0])).toBe(true);
      expect(s.slice(1).map((v) => v + 0)).toEqual([0, 0, 1, -1, 1, -1]);
    });
    b.dispose(x);
  });

  it('reductions keep dims', () => {
    const av = matrix(3, 5, 3);
    const a = b.fromArray(av, [3, 5]);
    b.run(() => {
      const all = b.sumSquares(a);
      expect(b.shape(all)).toEqual([1, 1]);
      close(b.read(all) as Float32Array, [av.reduce((s, x) => s + x * x, 0)]);
      const cols = b.sumSquares(a, 0);
      expect(b.shape(cols)).toEqual([1, 5]);
      close(b.read(cols) as Float32Array, [0, 1, 2, 3, 4].map((j) => [0, 1, 2].reduce((s, i) => s + av[i * 5 + j]! ** 2, 0)));
      const rows = b.sumSquares(a, 1);
      expect(b.shape(rows)).toEqual([3, 1]);
      close(b.read(rows) as Float32Array, [0, 1, 2].map((i) => [0, 1, 2, 3, 4].reduce((s, j) => s + av[i * 5 + j]! ** 2, 0)));
      const m = b.maxAbs(a);
      expect(b.shape(m)).toEqual([1, 1]);
      close(b.read(m) as Float32Array, [Math.max(...Array.from(av, Math.abs))]);
    });
    b.dispose(a);
  });

  it('maxAbs propagates NaN; allFinite finds NaN and Inf in any tensor', () => {
    const good = b.fromArray(matrix(2, 2), [2, 2]);
    const nan = b.fromArray(new Float32Array([1, NaN, 3]), [1, 3]);
    const inf = b.fromArray(new Float32Array([1, -Infinity]), [2, 1]);
    b.run(() => {
      expect(Number.isNaN((b.read(b.maxAbs(nan)) as Float32Array)[0])).toBe(true);
    });
    expect(b.allFinite([])).toBe(true);
    expect(b.allFinite([good])).toBe(true);
    expect(b.allFinite([good, nan])).toBe(false);
    expect(b.allFinite([inf, good])).toBe(false);
    [good, nan, inf].forEach((t) => b.dispose(t));
  });

  it('allFinite over 60 tensors: finds one bad entry anywhere, with no kernel of more than 7 addends', async () => {
    const xs = Array.from({ length: 60 }, (_, i) => b.fromArray(matrix(2, 3, i + 1), [2, 3]));
    const profile = await tf.profile(() => {
      expect(b.allFinite(xs)).toBe(true);
    });
    const addN = profile.kernels.filter((k) => k.name === 'AddN');
    expect(addN.length).toBeGreaterThan(1);
    for (const k of addN) expect(k.inputShapes.length).toBeLessThanOrEqual(7);
    for (const at of [0, 6, 7, 48, 49, 59]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const values = matrix(2, 3, 99);
        values[at % 6] = bad;
        const swapped = xs.slice();
        swapped[at] = b.fromArray(values, [2, 3]);
        expect(b.allFinite(swapped)).toBe(false);
        b.dispose(swapped[at]!);
      }
    }
    xs.forEach((t) => b.dispose(t));
  });

  it('matmul with every transpose combination, tall and wide, 1×n and n×1', () => {
    const cases: Array<[number, number, number]> = [[3, 4, 5], [1, 6, 1], [6, 1, 6], [7, 2, 3]];
    for (const [m, k, n] of cases) {
      const av = matrix(m, k, m + 1);
      const bv = matrix(k, n, n + 2);
      const expected = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected[i * n + j]! += av[i * k + p]! * bv[p * n + j]!;
      const a = b.fromArray(av, [m, k]);
      const bb = b.fromArray(bv, [k, n]);
      b.run(() => {
        close(b.read(b.matmul(a, bb)) as Float32Array, expected);
        close(b.read(b.matmul(b.transpose(a), bb, { transposeA: true })) as Float32Array, expected);
        close(b.read(b.matmul(a, b.transpose(bb), { transposeB: true })) as Float32Array, expected);
        close(b.read(b.matmul(b.transpose(a), b.transpose(bb), { transposeA: true, transposeB: true })) as Float32Array, expected);
      });
      b.dispose(a);
      b.dispose(bb);
    }
  });

  it('fused Newton–Schulz equals the float64 polynomial steps on both Gram sides, and maps zero to zero', () => {
    const coeffs = Array.from({ length: 3 }, () => QUINTIC);
    const plain = createTfjsBackend({ fusedNewtonSchulz: false });
    expect(plain.fused).toBeUndefined();
    for (const [rows, cols, side] of [[4, 9, 'left'], [9, 4, 'right']] as const) {
      const g = b.fromArray(matrix(rows, cols, 5), [rows, cols]);
      b.run(() => {
        const x = b.scale(g, 0.1);
        const [fused] = b.fused!.newtonSchulz!([x], coeffs, side);
        close(b.read(fused!), polynomialSteps64(b.read(x), rows, cols, coeffs), 1e-4);
      });
      b.dispose(g);
    }
    const zero = b.fromArray(new Float32Array(12), [3, 4]);
    b.run(() => {
      expect(Array.from(b.read(b.fused!.newtonSchulz!([zero], [QUINTIC], 'left')[0]!)).every((v) => v === 0)).toBe(true);
    });
    b.dispose(zero);
  });

  it('run frees every temporary; assign needs a variable of the same size', () => {
    const p = b.fromArray(matrix(4, 4), [4, 4]);
    const before = tf.memory().numTensors;
    b.run(() => {
      const t = b.scale(b.matmul(p, p), 0.5);
      b.assign(p, b.axpby(0.5, p, 0.5, t));
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => b.run(() => b.assign(b.scale(p, 1), p))).toThrow(/tf.Variable/);
    const small = b.fromArray(new Float32Array(3), [3]);
    expect(() => b.run(() => b.assign(p, small))).toThrow(/does not have the shape/);
    b.dispose(small);
    expect(tf.memory().numTensors).toBe(before);
    b.dispose(p);
  });
});
