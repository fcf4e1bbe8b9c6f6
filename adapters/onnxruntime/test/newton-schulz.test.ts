// The fused Newton–Schulz kernel: which form each shape gets, what the graph holds, and its accuracy
// against the polynomial in float64 on inputs that are exactly low-rank (where rounding is amplified).
import { afterAll, describe, expect, it } from 'vitest';
import { Random, spectral, type TensorBackend } from '@lmo/core';
import type { MatmulOptions, PolynomialCoefficients } from '@lmo/core/backend';
import { createReferenceBackend, type RefTensor } from '@lmo/core/reference';
import { POLAR_EXPRESS, QUINTIC, polynomialSteps64 } from '@lmo/core/testing';
import { traceGraph } from '../src/graph/builder.js';
import { gramRuns, newtonSchulzForm } from '../src/graph/newton-schulz.js';
import { Leaf, OpNode } from '../src/graph/nodes.js';
import { newtonSchulzFlops, onnxBackend } from '../src/index.js';

const QUINTIC5: PolynomialCoefficients[] = Array.from({ length: 5 }, () => QUINTIC);

/** A rank-`r` m × n matrix (a sum of r random outer products), scaled to Frobenius norm 1/1.01. */
function lowRank(m: number, n: number, r: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const u = Array.from({ length: r }, () => Array.from({ length: m }, () => rng.normal()));
  const v = Array.from({ length: r }, () => Array.from({ length: n }, () => rng.normal()));
  const x = new Float64Array(m * n);
  for (let k = 0; k < r; k++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) x[i * n + j]! += (u[k]![i]! * v[k]![j]!) / (k + 1);
  const norm = Math.sqrt(x.reduce((s, t) => s + t * t, 0)) * 1.01;
  return Float32Array.from(x, (t) => t / norm);
}

function transpose(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j]!;
  return t;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    err += (got[i]! - want[i]!) ** 2;
    norm += want[i]! ** 2;
  }
  return Math.sqrt(err / norm);
}

describe('fused Newton–Schulz: forms', () => {
  it('cuts the steps into runs whose product of |a| stays within 50', () => {
    expect(gramRuns(QUINTIC5)).toEqual([3, 2]); // 3.4445³ ≈ 40.9, ·3.4445 > 50
    // Polar Express's a's: 8.21, 4.07 | 3.91, 3.29, 2.28 | 1.87, 1.86, 1.875
    expect(gramRuns(POLAR_EXPRESS)).toEqual([2, 3, 3]);
    expect(gramRuns([QUINTIC])).toEqual([1]);
  });

  it('takes the Gram form exactly when it has fewer flops (n > 1.5·m for five quintic steps)', () => {
    expect(newtonSchulzForm(128, 512, QUINTIC5)).toBe('gram');
    expect(newtonSchulzForm(384, 128, QUINTIC5)).toBe('gram');
    expect(newtonSchulzForm(128, 128, QUINTIC5)).toBe('direct');
    expect(newtonSchulzForm(128, 192, QUINTIC5)).toBe('direct'); // 40 m³ either way
    expect(newtonSchulzForm(128, 194, QUINTIC5)).toBe('gram');
    expect(newtonSchulzForm(128, 512, [QUINTIC])).toBe('direct'); // one step: the same cost
    expect(newtonSchulzForm(8, 64, [[1, 0, 0], QUINTIC])).toBe('direct'); // c = 0 has no Gram form here
  });

  it("counts the flops of the form it takes: nanoGPT's 16 matrices, 1.69 instead of 2.35 GFLOP", () => {
    const m3 = 128 ** 3;
    const m2n = (n: number) => 128 * 128 * n;
    expect(newtonSchulzFlops(128, 128, QUINTIC5)).toBe(5 * (4 * m3 + 2 * m3)); // direct
    expect(newtonSchulzFlops(128, 512, QUINTIC5)).toBe(2 * 4 * m2n(512) + (18 + 10) * m3); // runs of 3 and 2 steps
    expect(newtonSchulzFlops(384, 128, QUINTIC5)).toBe(2 * 4 * m2n(384) + 28 * m3);
    const perLayer = newtonSchulzFlops(384, 128, QUINTIC5) + newtonSchulzFlops(128, 128, QUINTIC5) + 2 * newtonSchulzFlops(512, 128, QUINTIC5);
    expect(4 * perLayer).toBe(1_694_498_816);
    const direct = (n: number) => 5 * (4 * m2n(n) + 2 * m3);
    expect(4 * (direct(384) + direct(128) + 2 * direct(512))).toBe(2_348_810_240);
    for (const n of [128, 384, 512]) expect(newtonSchulzFlops(n, 128, QUINTIC5, 'direct')).toBe(direct(n));
  });

  it("'direct' counts the matmuls core's unfused orthogonalization runs, on tall, wide and square matrices", () => {
    const base = createReferenceBackend({ fusedNewtonSchulz: false });
    let flops = 0;
    const counting: TensorBackend<RefTensor> = {
      ...base,
      matmul(a: RefTensor, b: RefTensor, o: MatmulOptions = {}) {
        const [ar, ac] = base.shape(a) as [number, number];
        const [br, bc] = base.shape(b) as [number, number];
        flops += 2 * (o.transposeA ? ac : ar) * (o.transposeA ? ar : ac) * (o.transposeB ? br : bc);
        return base.matmul(a, b, o);
      },
    };
    const rng = new Random(3);
    for (const [rows, cols] of [[24, 8], [8, 8], [8, 32]] as const) {
      flops = 0;
      const g = counting.fromArray(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
      const lmo = spectral().lmo(counting, g, [rows, cols]);
      expect(flops, `${rows}×${cols}`).toBe(newtonSchulzFlops(rows, cols, QUINTIC5, 'direct'));
      counting.dispose(lmo);
      counting.dispose(g);
    }
  });

  it('folds every elementwise tail into a GEMM: the graph holds Gemm and (Gram form) Add nodes only', () => {
    for (const shape of [[16, 16], [16, 64], [64, 16]] as const) {
      const node = new OpNode('NewtonSchulz', [new Leaf(new Float32Array(shape[0] * shape[1]), shape)], shape, {
        newtonSchulz: { side: shape[0] > shape[1] ? 'right' : 'left', coefficients: QUINTIC5 },
      });
      const ops = new Set(traceGraph([node]).build().nodes.map((n) => n.opType));
      expect([...ops].sort()).toEqual(shape[0] === shape[1] ? ['Gemm'] : ['Add', 'Gemm']);
    }
  });
});

describe('fused Newton–Schulz: accuracy against float64', () => {
  const fused = onnxBackend({ intraOpNumThreads: 1 });
  const plain = onnxBackend({ intraOpNumThreads: 1, fusedNewtonSchulz: false });
  afterAll(async () => {
    await fused.close();
    await plain.close();
  });

  const cases: Array<[string, number, number, number, readonly PolynomialCoefficients[]]> = [
    ['rank 2, 24 × 96, quintic', 24, 96, 2, QUINTIC5],
    ['rank 3, 96 × 24 (right side), quintic', 96, 24, 3, QUINTIC5],
    ['full rank, 16 × 64, Polar Express', 16, 64, 16, POLAR_EXPRESS],
  ];
  for (const [label, rows, cols, rank, coefficients] of cases) {
    it(`${label}: within 1e-4, and within 3× the error of the primitives`, async () => {
      const x = lowRank(rows, cols, rank, rows + cols);
      const left = rows <= cols;
      const want = left ? polynomialSteps64(x, rows, cols, coefficients) : transpose(polynomialSteps64(Float32Array.from(transpose(x, rows, cols)), cols, rows, coefficients), cols, rows);
      const errors: number[] = [];
      for (const b of [fused, plain]) {
        const t = b.fromArray(x, [rows, cols]);
        const out = b.zerosLike(t);
        await b.run(() => {
          const steps = b.fused.newtonSchulz;
          // the backend without the kernel runs core's primitive steps
          const [y] = steps !== undefined ? steps([t], coefficients, left ? 'left' : 'right') : [primitiveSteps(b, t, coefficients, left)];
          b.assign(out, y!);
        });
        errors.push(relativeError(await b.read(out), want));
      }
      expect(fused.fused.newtonSchulz).toBeDefined();
      expect(plain.fused.newtonSchulz).toBeUndefined();
      expect(errors[0]).toBeLessThan(1e-4);
      expect(errors[0]).toBeLessThan(3 * Math.max(errors[1]!, 1e-6));
    });
  }
});

function primitiveSteps(
  b: ReturnType<typeof onnxBackend>, x: ReturnType<ReturnType<typeof onnxBackend>['fromArray']>, coefficients: readonly PolynomialCoefficients[], left: boolean,
) {
  for (const [a, bb, c] of coefficients) {
    const gram = left ? b.matmul(x, x, { transposeB: true }) : b.matmul(x, x, { transposeA: true });
    const poly = b.axpby(bb, gram, c, b.matmul(gram, gram));
    x = b.axpby(a, x, 1, left ? b.matmul(poly, x) : b.matmul(x, poly));
  }
  return x;
}

describe('fused Newton–Schulz: compiled once per plan', () => {
  it('the coefficients are part of the structure; the values of a step are not', async () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const x = b.fromArray(lowRank(8, 32, 8, 1), [8, 32]);
    const out = b.zerosLike(x);
    const step = (coefficients: readonly PolynomialCoefficients[]) => b.run(() => b.assign(out, b.fused.newtonSchulz!([x], coefficients, 'left')[0]!));
    await step(QUINTIC5);
    await step(QUINTIC5);
    expect(b.stats.sessionsCreated).toBe(1);
    await step(POLAR_EXPRESS.slice(0, 5));
    expect(b.stats.sessionsCreated).toBe(2);
    await b.close();
  });

  it('rejects mixed shapes and malformed coefficients with a clear error', () => {
    const b = onnxBackend({ intraOpNumThreads: 1 });
    const x = b.fromArray(new Float32Array(6), [2, 3]);
    const y = b.fromArray(new Float32Array(6), [3, 2]);
    expect(() => b.fused.newtonSchulz!([x, y], QUINTIC5, 'left')).toThrow(/xs\[1\] is \[3, 2\], xs\[0\] \[2, 3\]/);
    expect(() => b.fused.newtonSchulz!([x], [[1, 2, NaN]], 'left')).toThrow(/coefficients\[0\] must be three finite numbers/);
    expect(() => b.fused.newtonSchulz!([x], QUINTIC5, 'up' as 'left')).toThrow(/side must be "left" or "right"/);
  });
});
