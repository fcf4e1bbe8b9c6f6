import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { matmul } from '../src/reference/index.js';

/** Row-major float32 values drawn from N(0, 1). */
function randn(rng: Random, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

interface Ref {
  readonly c: Float64Array;
  /** `|op(A)|·|op(B)|`, the scale of the rounding error of each entry. */
  readonly bound: Float64Array;
}

/** `op(A)·op(B)` by the float64 triple loop. */
function reference(a: Float32Array, b: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean): Ref {
  const c = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < K; p++) {
        const x = tA ? a[p * M + i]! : a[i * K + p]!;
        const y = tB ? b[j * K + p]! : b[p * N + j]!;
        s += x * y;
        t += Math.abs(x * y);
      }
      c[i * N + j] = s;
      bound[i * N + j] = t;
    }
  }
  return { c, bound };
}

function expectMatches(got: Float32Array, want: Ref, K: number, label: string, base?: Float32Array, alpha = 1): void {
  expect(got.length, label).toBe(want.c.length);
  const tol = 1e-5 * Math.sqrt(Math.max(1, K));
  for (let i = 0; i < got.length; i++) {
    const w = (base === undefined ? 0 : base[i]!) + alpha * want.c[i]!;
    const scale = Math.abs(alpha) * want.bound[i]! + (base === undefined ? 0 : Math.abs(base[i]!));
    const err = Math.abs(got[i]! - w);
    if (!(err <= tol * scale + 1e-30)) {
      throw new Error(`${label}: entry ${i} is ${got[i]}, want ${w} (error ${err}, allowed ${tol * scale})`);
    }
  }
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

function check(rng: Random, M: number, N: number, K: number, tA: boolean, tB: boolean): void {
  const a = randn(rng, M * K);
  const b = randn(rng, K * N);
  const aShape = tA ? [K, M] : [M, K];
  const bShape = tB ? [N, K] : [K, N];
  const got = matmul(a, aShape, b, bShape, { transposeA: tA, transposeB: tB });
  expectMatches(got, reference(a, b, M, N, K, tA, tB), K, `[${M}x${K}]·[${K}x${N}] tA=${tA} tB=${tB}`);
}

describe('reference matmul', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 130, 17],
    [130, 1, 17],
    [1, 1, 130],
    [130, 65, 1],
    [3, 5, 7],
    [4, 8, 256],
    [17, 33, 65],
    [65, 17, 33],
    [33, 65, 17],
    [64, 64, 64],
    [67, 131, 257],
    [130, 130, 130],
    [200, 9, 300],
    [9, 1030, 20],
    [70, 1100, 5],
  ];
  for (const [M, N, K] of sizes) {
    for (const [tA, tB] of TRANSPOSES) {
      it(`[${M}x${K}]·[${K}x${N}] transposeA=${tA} transposeB=${tB}`, () => {
        check(new Random(M * 1000003 + N * 1009 + K), M, N, K, tA, tB);
      });
    }
  }

  it('writes into out and accumulates with alpha', () => {
    const rng = new Random(7);
    for (const [M, N, K] of [
      [2, 3, 4],
      [37, 41, 43],
      [100, 90, 80],
    ] as const) {
      for (const [tA, tB] of TRANSPOSES) {
        const a = randn(rng, M * K);
        const b = randn(rng, K * N);
        const aShape = tA ? [K, M] : [M, K];
        const bShape = tB ? [N, K] : [K, N];
        const want = reference(a, b, M, N, K, tA, tB);
        const base = randn(rng, M * N);
        const out = base.slice();
        const r = matmul(a, aShape, b, bShape, { transposeA: tA, transposeB: tB, out, accumulate: true, alpha: -0.5 });
        expect(r).toBe(out);
        expectMatches(out, want, K, `accumulate ${M}x${N}x${K}`, base, -0.5);
        // Overwrite: garbage (NaN included) in out must not leak into the result.
        const dirty = new Float32Array(M * N).fill(NaN);
        matmul(a, aShape, b, bShape, { transposeA: tA, transposeB: tB, out: dirty });
        expectMatches(dirty, want, K, `overwrite ${M}x${N}x${K}`);
      }
    }
  });

  it('handles empty inner dimension and zero matrices', () => {
    const out = new Float32Array(6).fill(3);
    matmul(new Float32Array(0), [2, 0], new Float32Array(0), [0, 3], { out });
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    matmul(new Float32Array(0), [2, 0], new Float32Array(0), [0, 3], { out: out.fill(3), accumulate: true });
    expect(Array.from(out)).toEqual([3, 3, 3, 3, 3, 3]);
    const z = matmul(new Float32Array(70 * 80), [70, 80], randn(new Random(1), 80 * 90), [80, 90]);
    expect(z.every((v) => v === 0)).toBe(true);
  });

  it('propagates NaN and Inf', () => {
    for (const n of [3, 40]) {
      const a = new Float32Array(n * n);
      const b = new Float32Array(n * n);
      a[n + 1] = NaN; // row 1
      b[2] = Infinity; // column 2
      const c = matmul(a, [n, n], b, [n, n]);
      for (let j = 0; j < n; j++) expect(c[n + j], `row 1 col ${j}`).toBeNaN();
      // 0·Inf = NaN in column 2 too.
      expect(c[2]).toBeNaN();
      expect(c[0]).toBe(0);
    }
  });

  it('rejects mismatched shapes', () => {
    const a = new Float32Array(6);
    expect(() => matmul(a, [2, 3], a, [2, 3])).toThrow(/inner dimensions/);
    expect(() => matmul(a, [2, 3], a, [3, 2], { out: new Float32Array(5) })).toThrow(/out has length/);
    expect(() => matmul(a, [6], a, [6, 1])).toThrow(/2-D/);
    expect(() => matmul(a, [2, 2], a, [2, 3])).toThrow(/values/);
  });

  it('matches the float64 triple loop on random shapes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (M, N, K, tA, tB, seed) => {
          check(new Random(seed), M, N, K, tA, tB);
        },
      ),
      { numRuns: 120 },
    );
  });
});
