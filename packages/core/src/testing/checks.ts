/**
 * The checks of the conformance suite, as data: an id (`group.name[.case]`) and an async body run
 * against a backend. {@link describeBackendConformance} registers them as vitest tests.
 */
import type { Axis, MatmulOptions, NewtonSchulzCoefficients, Shape, TensorBackend } from '../backend.js';
import type { Random } from '../random.js';
import { check, expectClose, expectExact, expectShape, fmtShape } from './assert.js';
import { matmul64, newtonSchulz64 } from './float64.js';
import { evaluate, evaluate1, host, randn, readValues, uniform, type Host } from './harness.js';
import { sizeOf } from '../shape.js';

/** Tolerances of the suite (see {@link ConformanceOptions.tolerance}). */
export interface ConformanceTolerances {
  /** Elementwise ops: `|got − want| ≤ tol·|want|`. Default `1e-5`. */
  readonly elementwise: number;
  /** Reductions over `n` values: `|got − want| ≤ tol·√n·|want|`. Default `1e-5`. */
  readonly reduction: number;
  /**
   * Matmul: `|got − want| ≤ tol·‖row i of op(a)‖·‖column j of op(b)‖` (≈ `tol·√k` times the typical
   * entry). Default `1e-4`. TF32 or half-precision engines need about `1e-2`.
   */
  readonly matmul: number;
  /** Fused Newton–Schulz: `‖got − want‖_F ≤ tol·‖want‖_F`. Default `1e-4`. */
  readonly newtonSchulz: number;
}

export const DEFAULT_TOLERANCES: ConformanceTolerances = {
  elementwise: 1e-5,
  reduction: 1e-5,
  matmul: 1e-4,
  newtonSchulz: 1e-4,
};

/** What a check body receives. */
export interface CheckContext<T> {
  readonly b: TensorBackend<T>;
  readonly tol: ConformanceTolerances;
  readonly rng: Random;
  readonly id: string;
}

/** One check. `needs` names an optional capability; without it the check is skipped at run time. */
export interface Check {
  readonly id: string;
  readonly needs?: 'fused.newtonSchulz';
  run<T>(ctx: CheckContext<T>): Promise<void>;
}

// ---- helpers -------------------------------------------------------------------------------------

function map64(h: Host, f: (x: number, i: number) => number): Float64Array {
  const out = new Float64Array(h.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(h.data[i]!, i);
  return out;
}

/** The value of `b` (`[m, n]`, `[m, 1]`, `[1, n]` or `[1, 1]`) broadcast at flat index `i` of `[m, n]`. */
function bcast(b: Host, m: number, n: number, i: number): number {
  const [bm, bn] = b.shape as [number, number];
  const r = bm === 1 ? 0 : Math.floor(i / n);
  const c = bn === 1 ? 0 : i % n;
  return b.data[r * bn + c]!;
}

/** N(0,1) values with some exact zeros and some large and tiny magnitudes mixed in. */
function mixed(rng: Random, shape: Shape): Host {
  const h = randn(rng, shape);
  for (let i = 0; i < h.data.length; i++) {
    const u = rng.uniform();
    if (u < 0.1) h.data[i] = 0;
    else if (u < 0.15) h.data[i]! *= 1e3;
    else if (u < 0.2) h.data[i]! *= 1e-3;
  }
  return h;
}

const SHAPES_2D: readonly Shape[] = [
  [1, 1],
  [1, 9],
  [9, 1],
  [3, 5],
  [17, 33],
];

const ROUND_TRIP_SHAPES: readonly Shape[] = [[], [5], [3, 4], [2, 3, 4], [2, 1, 3, 2]];

// ---- the checks ----------------------------------------------------------------------------------

function dataChecks(): Check[] {
  const checks: Check[] = ROUND_TRIP_SHAPES.map((shape) => ({
    id: `data.roundTrip.rank${shape.length}`,
    async run({ b, rng }) {
      const h = randn(rng, shape);
      const x = b.fromArray(h.data, shape);
      try {
        expectShape(b.shape(x), shape, 'shape(fromArray(data, shape))');
        const v = await readValues(b, x, h.data.length, 'read(fromArray)');
        expectExact(v, h.data, `read(fromArray(data, ${fmtShape(shape)}))`);
      } finally {
        b.dispose(x);
      }
    },
  }));
  checks.push(
    {
      id: 'data.copies',
      async run({ b, rng }) {
        const h = randn(rng, [3, 4]);
        const src = h.data.slice();
        const x = b.fromArray(src, h.shape);
        try {
          src.fill(7); // fromArray must have copied
          const v = await readValues(b, x, 12, 'read');
          expectExact(v, h.data, 'fromArray must copy its input (the source array was changed after the call)');
          v.fill(9); // read must return a copy
          const again = await readValues(b, x, 12, 'read');
          expectExact(again, h.data, 'read must return a copy (changing the returned array changed the tensor)');
        } finally {
          b.dispose(x);
        }
      },
    },
    {
      id: 'data.zerosLike',
      async run({ b, rng }) {
        for (const shape of [[], [4], [3, 5], [2, 3, 2]] as Shape[]) {
          const h = randn(rng, shape);
          const x = b.fromArray(h.data, shape);
          const z = b.zerosLike(x);
          try {
            expectShape(b.shape(z), shape, `zerosLike(${fmtShape(shape)})`);
            // Persistent: still there after a run scope ends.
            await b.run(() => {
              b.add(x, x);
            });
            expectExact(await readValues(b, z, h.data.length, 'zerosLike'), new Float32Array(h.data.length), 'zerosLike values');
            // Assignable, and not aliased with its model.
            const v = randn(rng, shape);
            const src = b.fromArray(v.data, shape);
            await b.run(() => {
              b.assign(z, b.scale(src, 2));
            });
            expectExact(await readValues(b, z, v.data.length, 'zerosLike after assign'), map64(v, (e) => Math.fround(2 * e)), 'assign into zerosLike');
            expectExact(await readValues(b, x, h.data.length, 'model'), h.data, 'assigning into zerosLike(x) changed x');
            b.dispose(src);
          } finally {
            b.dispose(z);
            b.dispose(x);
          }
        }
      },
    },
    {
      id: 'data.reshape',
      async run({ b, rng }) {
        const cases: [Shape, Shape][] = [
          [[2, 6], [3, 4]],
          [[3, 4], [12]],
          [[12], [1, 12]],
          [[2, 3, 4], [6, 4]],
          [[6, 4], [2, 3, 4]],
          [[], [1, 1]],
          [[1, 1], []],
          [[5, 1], [1, 5]],
        ];
        for (const [from, to] of cases) {
          const h = randn(rng, from);
          const v = await evaluate1(b, [h], to, ([x]) => b.reshape(x!, to), `reshape ${fmtShape(from)} → ${fmtShape(to)}`);
          expectExact(v, h.data, `reshape ${fmtShape(from)} → ${fmtShape(to)} values`);
        }
      },
    },
    {
      id: 'data.transpose',
      async run({ b, rng }) {
        for (const shape of [[1, 1], [1, 7], [7, 1], [3, 5], [33, 17]] as [number, number][]) {
          const [m, n] = shape;
          const h = randn(rng, shape);
          const v = await evaluate1(b, [h], [n, m], ([x]) => b.transpose(x!), `transpose ${fmtShape(shape)}`);
          const want = new Float32Array(m * n);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[j * m + i] = h.data[i * n + j]!;
          expectExact(v, want, `transpose ${fmtShape(shape)} values`);
        }
      },
    },
  );
  return checks;
}

type BinaryName = 'add' | 'sub' | 'mul' | 'div';
const BINARY: Record<BinaryName, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

function elementwiseChecks(): Check[] {
  const checks: Check[] = [];
  for (const op of ['add', 'sub'] as const) {
    checks.push({
      id: `elementwise.${op}`,
      async run({ b, rng, tol }) {
        for (const shape of SHAPES_2D) {
          const x = randn(rng, shape);
          const y = randn(rng, shape);
          const v = await evaluate1(b, [x, y], shape, ([p, q]) => b[op](p!, q!), `${op} ${fmtShape(shape)}`);
          expectClose(v, map64(x, (e, i) => BINARY[op](e, y.data[i]!)), tol.elementwise, `${op} ${fmtShape(shape)}`);
        }
      },
    });
  }
  const forms: [string, (m: number, n: number) => Shape][] = [
    ['full', (m, n) => [m, n]],
    ['rows', (m) => [m, 1]],
    ['cols', (_m, n) => [1, n]],
    ['scalar', () => [1, 1]],
  ];
  for (const op of ['mul', 'div'] as const) {
    for (const [form, rightShape] of forms) {
      checks.push({
        id: `elementwise.${op}.${form}`,
        async run({ b, rng, tol }) {
          for (const shape of SHAPES_2D) {
            const [m, n] = shape as [number, number];
            const x = randn(rng, shape);
            // Divisors bounded away from zero.
            const y = op === 'div' ? uniform(rng, rightShape(m, n), 0.5, 2) : randn(rng, rightShape(m, n));
            if (op === 'div') for (let i = 0; i < y.data.length; i++) if (rng.uniform() < 0.5) y.data[i]! *= -1;
            const label = `${op} ${fmtShape(shape)} by ${fmtShape(y.shape)}`;
            const v = await evaluate1(b, [x, y], shape, ([p, q]) => b[op](p!, q!), label);
            expectClose(v, map64(x, (e, i) => BINARY[op](e, bcast(y, m, n, i))), tol.elementwise, label);
          }
        },
      });
    }
  }
  checks.push(
    {
      id: 'elementwise.scale',
      async run({ b, rng, tol }) {
        for (const s of [2.5, -0.125, 0, 1e-3]) {
          const x = randn(rng, [17, 33]);
          const v = await evaluate1(b, [x], x.shape, ([p]) => b.scale(p!, s), `scale by ${s}`);
          expectClose(v, map64(x, (e) => s * e), tol.elementwise, `scale by ${s}`);
        }
      },
    },
    {
      id: 'elementwise.addScalar',
      async run({ b, rng, tol }) {
        for (const s of [1e-8, 3, -0.5]) {
          const x = randn(rng, [9, 7]);
          const v = await evaluate1(b, [x], x.shape, ([p]) => b.addScalar(p!, s), `addScalar ${s}`);
          expectClose(v, map64(x, (e) => e + s), tol.elementwise, `addScalar ${s}`, map64(x, (e) => Math.abs(e) + Math.abs(s)));
        }
      },
    },
    {
      id: 'elementwise.axpby',
      async run({ b, rng, tol }) {
        for (const [alpha, beta] of [
          [0.9, 0.1],
          [1, -1],
          [-2.5, 0.75],
          [0, 1],
        ] as const) {
          for (const shape of [[1, 1], [9, 1], [17, 33]] as Shape[]) {
            const x = randn(rng, shape);
            const y = randn(rng, shape);
            const label = `axpby(${alpha}, x, ${beta}, y) ${fmtShape(shape)}`;
            const v = await evaluate1(b, [x, y], shape, ([p, q]) => b.axpby(alpha, p!, beta, q!), label);
            const want = map64(x, (e, i) => alpha * e + beta * y.data[i]!);
            const scale = map64(x, (e, i) => Math.abs(alpha * e) + Math.abs(beta * y.data[i]!));
            expectClose(v, want, tol.elementwise, label, scale);
          }
        }
      },
    },
    {
      id: 'elementwise.sign',
      async run({ b, rng }) {
        const x = mixed(rng, [17, 33]);
        x.data[0] = 0;
        x.data[1] = -0;
        x.data[2] = 1e-30;
        x.data[3] = -1e-30;
        x.data[4] = NaN;
        x.data[5] = Infinity;
        x.data[6] = -Infinity;
        const v = await evaluate1(b, [x], x.shape, ([p]) => b.sign(p!), 'sign');
        const want = map64(x, (e) => (e > 0 ? 1 : e < 0 ? -1 : e === 0 ? 0 : NaN));
        expectExact(v, want, 'sign (sign(0) = 0, sign(NaN) = NaN)');
      },
    },
    {
      id: 'elementwise.sqrt',
      async run({ b, rng, tol }) {
        const x = uniform(rng, [17, 33], 0, 10);
        x.data[0] = 0;
        x.data[1] = 1e-12;
        x.data[2] = 1e8;
        const v = await evaluate1(b, [x], x.shape, ([p]) => b.sqrt(p!), 'sqrt');
        expectClose(v, map64(x, Math.sqrt), tol.elementwise, 'sqrt');
      },
    },
    {
      id: 'elementwise.abs',
      async run({ b, rng }) {
        const x = mixed(rng, [17, 33]);
        x.data[0] = -0;
        x.data[1] = -Infinity;
        const v = await evaluate1(b, [x], x.shape, ([p]) => b.abs(p!), 'abs');
        expectExact(v, map64(x, Math.abs), 'abs');
      },
    },
    {
      id: 'elementwise.nan',
      async run({ b, rng }) {
        const x = randn(rng, [3, 4]);
        const y = uniform(rng, [3, 4], 1, 2);
        x.data[5] = NaN;
        const vs = await evaluate(
          b,
          [x, y],
          Array<Shape>(9).fill([3, 4]),
          ([p, q]) => [
            b.add(p!, q!),
            b.sub(q!, p!),
            b.mul(p!, q!),
            b.div(p!, q!),
            b.div(q!, p!),
            b.scale(p!, 2),
            b.addScalar(p!, 1),
            b.axpby(0.5, p!, 0.5, q!),
            b.abs(p!),
          ],
          'NaN propagation',
        );
        const names = ['add', 'sub', 'mul', 'div (numerator)', 'div (denominator)', 'scale', 'addScalar', 'axpby', 'abs'];
        vs.forEach((v, k) => {
          check(Number.isNaN(v[5]), `${names[k]}: NaN input must give NaN, got ${v[5]}`);
          check(Number.isFinite(v[4]!), `${names[k]}: a NaN leaked into a neighbouring element`);
        });
      },
    },
    {
      id: 'elementwise.special',
      async run({ b }) {
        const x = host([1, -1, 0, -4, 2], [1, 5]);
        const z = host([0, 0, 0, 1, Infinity], [1, 5]);
        const [q, r] = await evaluate(b, [x, z], [[1, 5], [1, 5]], ([p, s]) => [b.div(p!, s!), b.sqrt(p!)], 'IEEE special values');
        expectExact(q!, [Infinity, -Infinity, NaN, -4, 0], 'div by zero / by Inf (IEEE: 1/0 = Inf, −1/0 = −Inf, 0/0 = NaN, 2/Inf = 0)');
        expectExact(r!.subarray(0, 4), [1, NaN, 0, NaN], 'sqrt of negative numbers is NaN');
      },
    },
  );
  return checks;
}

function reductionChecks(): Check[] {
  const axes: [string, Axis | undefined][] = [
    ['all', undefined],
    ['axis0', 0],
    ['axis1', 1],
  ];
  const checks: Check[] = axes.map(([name, axis]) => ({
    id: `reduce.sumSquares.${name}`,
    async run({ b, rng, tol }) {
      for (const shape of [...SHAPES_2D, [65, 130]] as [number, number][]) {
        const [m, n] = shape;
        const x = mixed(rng, shape);
        const outShape: Shape = axis === undefined ? [1, 1] : axis === 0 ? [1, n] : [m, 1];
        const label = `sumSquares(${fmtShape(shape)}, ${axis === undefined ? 'all' : `axis ${axis}`})`;
        const v = await evaluate1(b, [x], outShape, ([p]) => (axis === undefined ? b.sumSquares(p!) : b.sumSquares(p!, axis)), label);
        const want = new Float64Array(sizeOf(outShape));
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const k = axis === undefined ? 0 : axis === 0 ? j : i;
            want[k]! += x.data[i * n + j]! ** 2;
          }
        }
        const count = axis === undefined ? m * n : axis === 0 ? m : n;
        expectClose(v, want, tol.reduction * Math.max(1, Math.sqrt(count)), label);
      }
    },
  }));
  checks.push(
    {
      id: 'reduce.sumSquares.zeros',
      async run({ b }) {
        const x: Host = { data: new Float32Array(12), shape: [3, 4] };
        const [all, a0, a1] = await evaluate(
          b,
          [x],
          [[1, 1], [1, 4], [3, 1]],
          ([p]) => [b.sumSquares(p!), b.sumSquares(p!, 0), b.sumSquares(p!, 1)],
          'sumSquares of zeros',
        );
        expectExact(all!, [0], 'sumSquares(0)');
        expectExact(a0!, [0, 0, 0, 0], 'sumSquares(0, axis 0)');
        expectExact(a1!, [0, 0, 0], 'sumSquares(0, axis 1)');
      },
    },
    {
      id: 'reduce.maxAbs',
      async run({ b, rng }) {
        for (const shape of [...SHAPES_2D, [65, 130]] as Shape[]) {
          const x = mixed(rng, shape);
          // Make the largest magnitude negative half the time.
          let k = 0;
          for (let i = 1; i < x.data.length; i++) if (Math.abs(x.data[i]!) > Math.abs(x.data[k]!)) k = i;
          if (rng.uniform() < 0.5) x.data[k] = -Math.abs(x.data[k]!);
          const v = await evaluate1(b, [x], [1, 1], ([p]) => b.maxAbs(p!), `maxAbs ${fmtShape(shape)}`);
          expectExact(v, [Math.abs(x.data[k]!)], `maxAbs ${fmtShape(shape)}`);
        }
        const z = await evaluate1(b, [{ data: new Float32Array(6), shape: [2, 3] }], [1, 1], ([p]) => b.maxAbs(p!), 'maxAbs of zeros');
        expectExact(z, [0], 'maxAbs of zeros');
      },
    },
    {
      id: 'reduce.nan',
      async run({ b, rng }) {
        const x = randn(rng, [5, 6]);
        x.data[13] = NaN; // row 2, column 1
        const [all, a0, a1, mx] = await evaluate(
          b,
          [x],
          [[1, 1], [1, 6], [5, 1], [1, 1]],
          ([p]) => [b.sumSquares(p!), b.sumSquares(p!, 0), b.sumSquares(p!, 1), b.maxAbs(p!)],
          'reductions with a NaN',
        );
        check(Number.isNaN(all![0]), `sumSquares with a NaN must be NaN, got ${all![0]}`);
        check(Number.isNaN(a0![1]) && Number.isFinite(a0![0]!), `sumSquares(axis 0) with a NaN in column 1: got ${Array.from(a0!)}`);
        check(Number.isNaN(a1![2]) && Number.isFinite(a1![0]!), `sumSquares(axis 1) with a NaN in row 2: got ${Array.from(a1!)}`);
        check(Number.isNaN(mx![0]), `maxAbs with a NaN must be NaN, got ${mx![0]}`);
      },
    },
  );
  const finiteCases: [string, (rng: Random) => Host[], boolean][] = [
    ['finite', (rng) => [mixed(rng, [17, 33])], true],
    ['nan', (rng) => [poke(mixed(rng, [17, 33]), 100, NaN)], false],
    ['posInf', (rng) => [poke(mixed(rng, [17, 33]), 560, Infinity)], false],
    ['negInf', (rng) => [poke(mixed(rng, [17, 33]), 0, -Infinity)], false],
    ['several', (rng) => [mixed(rng, [3, 4]), mixed(rng, [1, 1]), mixed(rng, [5]), mixed(rng, [2, 2, 2])], true],
    ['severalOneBad', (rng) => [mixed(rng, [3, 4]), mixed(rng, [1, 1]), poke(mixed(rng, [5]), 4, NaN), mixed(rng, [2, 2, 2])], false],
    ['huge', () => [host([3.4e38, -3.4e38, 1e-45], [1, 3])], true],
  ];
  for (const [name, make, want] of finiteCases) {
    checks.push({
      id: `reduce.allFinite.${name}`,
      async run({ b, rng }) {
        const hs = make(rng);
        const xs = hs.map((h) => b.fromArray(h.data, h.shape));
        try {
          const got = await b.allFinite(xs);
          check(got === want, `allFinite(${hs.map((h) => fmtShape(h.shape)).join(', ')}) is ${String(got)}, expected ${want}`);
        } finally {
          for (const x of xs) b.dispose(x);
        }
      },
    });
  }
  return checks;
}

function poke(h: Host, i: number, v: number): Host {
  h.data[i] = v;
  return h;
}

const TRANSPOSES: [string, MatmulOptions][] = [
  ['nn', {}],
  ['tn', { transposeA: true }],
  ['nt', { transposeB: true }],
  ['tt', { transposeA: true, transposeB: true }],
];

/** `[name, M, K, N]`: `op(a)` is `[M, K]`, `op(b)` `[K, N]`. */
const MATMUL_CASES: [string, number, number, number][] = [
  ['square1', 1, 1, 1],
  ['square3', 3, 3, 3],
  ['square17', 17, 17, 17],
  ['square33', 33, 33, 33],
  ['square65', 65, 65, 65],
  ['square130', 130, 130, 130],
  ['tall', 130, 33, 17],
  ['wide', 17, 33, 130],
  ['deep', 5, 130, 3],
  ['rowVector', 1, 65, 33],
  ['colVector', 65, 33, 1],
  ['dot', 1, 130, 1],
  ['outer', 65, 1, 33],
  ['odd', 67, 129, 31],
];

async function checkMatmul<T>(ctx: CheckContext<T>, a: Host, bm: Host, M: number, K: number, N: number, opts: MatmulOptions, label: string): Promise<void> {
  const { b, tol } = ctx;
  const tA = opts.transposeA === true;
  const tB = opts.transposeB === true;
  const v = await evaluate1(b, [a, bm], [M, N], ([x, y]) => b.matmul(x!, y!, opts), label);
  const want = matmul64(a.data, bm.data, M, K, N, tA, tB);
  expectClose(v, want.c, tol.matmul, label, want.scale);
}

function matmulChecks(): Check[] {
  const checks: Check[] = [];
  for (const [name, M, K, N] of MATMUL_CASES) {
    for (const [t, opts] of TRANSPOSES) {
      checks.push({
        id: `matmul.${name}.${t}`,
        async run(ctx) {
          const tA = opts.transposeA === true;
          const tB = opts.transposeB === true;
          const a = randn(ctx.rng, tA ? [K, M] : [M, K]);
          const bm = randn(ctx.rng, tB ? [N, K] : [K, N]);
          const label = `matmul ${fmtShape(a.shape)}${tA ? 'ᵀ' : ''} · ${fmtShape(bm.shape)}${tB ? 'ᵀ' : ''}`;
          await checkMatmul(ctx, a, bm, M, K, N, opts, label);
        },
      });
    }
  }
  checks.push({
    id: 'matmul.zeros',
    async run(ctx) {
      for (const [t, opts] of TRANSPOSES) {
        const tA = opts.transposeA === true;
        const tB = opts.transposeB === true;
        const [M, K, N] = [17, 33, 5];
        const zA: Host = { data: new Float32Array(M * K), shape: tA ? [K, M] : [M, K] };
        const zB: Host = { data: new Float32Array(K * N), shape: tB ? [N, K] : [K, N] };
        const rA = randn(ctx.rng, zA.shape);
        const rB = randn(ctx.rng, zB.shape);
        for (const [a, bm, what] of [
          [zA, rB, '0·B'],
          [rA, zB, 'A·0'],
          [zA, zB, '0·0'],
        ] as const) {
          const v = await evaluate1(ctx.b, [a, bm], [M, N], ([x, y]) => ctx.b.matmul(x!, y!, opts), `matmul ${what} (${t})`);
          expectExact(v, new Float32Array(M * N), `matmul ${what} (${t}) must be exactly zero`);
        }
      }
    },
  });
  return checks;
}

function effectChecks(): Check[] {
  return [
    {
      id: 'effects.assign.outsideRun',
      async run({ b, rng }) {
        const h = randn(rng, [3, 5]);
        const v = randn(rng, [3, 5]);
        const target = b.fromArray(h.data, h.shape);
        const value = b.fromArray(v.data, v.shape);
        try {
          b.assign(target, value);
          expectExact(await readValues(b, target, 15, 'target'), v.data, 'assign outside run: target');
          expectExact(await readValues(b, value, 15, 'value'), v.data, 'assign outside run: value must be untouched');
          // The target is a copy, not an alias: changing it later leaves the value alone.
          const w = randn(rng, [3, 5]);
          const other = b.fromArray(w.data, w.shape);
          b.assign(target, other);
          expectExact(await readValues(b, target, 15, 'target'), w.data, 'second assign: target');
          expectExact(await readValues(b, value, 15, 'value'), v.data, 'second assign changed the first value (aliasing)');
          b.dispose(other);
        } finally {
          b.dispose(target);
          b.dispose(value);
        }
      },
    },
    {
      id: 'effects.assign.insideRun',
      async run({ b, rng, tol }) {
        const p = randn(rng, [4, 6]);
        const q = randn(rng, [4, 6]);
        const param = b.fromArray(p.data, p.shape);
        const state = b.zerosLike(param);
        const other = b.fromArray(q.data, q.shape);
        try {
          // An optimizer-like step: both new values are computed from the old ones, then assigned.
          await b.run(() => {
            const s = b.axpby(0.9, state, 0.1, other);
            const w = b.sub(param, b.scale(s, 0.5));
            b.assign(state, s);
            b.assign(param, w);
          });
          const s = map64(q, (e) => 0.1 * e);
          expectClose(await readValues(b, state, 24, 'state'), s, tol.elementwise, 'state after run');
          const w = map64(p, (e, i) => e - 0.5 * s[i]!);
          const scale = map64(p, (e, i) => Math.abs(e) + Math.abs(0.5 * s[i]!));
          expectClose(await readValues(b, param, 24, 'param'), w, tol.elementwise, 'param after run', scale);
          expectExact(await readValues(b, other, 24, 'input'), q.data, 'an input of the run was modified');
        } finally {
          b.dispose(param);
          b.dispose(state);
          b.dispose(other);
        }
      },
    },
    {
      id: 'effects.run.result',
      async run({ b }) {
        let called = 0;
        const r = b.run(() => {
          called++;
        });
        check(r === undefined || typeof (r as { then?: unknown }).then === 'function', 'run must return undefined or a Promise');
        await r;
        check(called === 1, `run must call fn exactly once, called it ${called} times`);
      },
    },
    {
      id: 'effects.run.repeat',
      async run({ b, rng, tol }) {
        // The same structure run again with new numbers (a changing learning rate) must use them,
        // and must read the persistent tensor's current value each time.
        const h = randn(rng, [5, 7]);
        const p = b.fromArray(h.data, h.shape);
        try {
          let want = map64(h, (e) => e);
          for (const s of [2, 3, -0.5, 1e-3]) {
            await b.run(() => {
              b.assign(p, b.addScalar(b.scale(p, s), 1));
            });
            want = want.map((e) => Math.fround(s * e) + 1);
            expectClose(await readValues(b, p, 35, 'p'), want, tol.elementwise * 4, `after run with s = ${s}`, 1);
          }
        } finally {
          b.dispose(p);
        }
      },
    },
    {
      id: 'effects.run.throws',
      async run({ b, rng }) {
        const h = randn(rng, [2, 3]);
        const p = b.fromArray(h.data, h.shape);
        try {
          const boom = new Error('conformance: thrown inside run');
          let caught: unknown;
          try {
            await b.run(() => {
              b.scale(p, 2);
              throw boom;
            });
          } catch (e) {
            caught = e;
          }
          check(caught === boom, `run must propagate the error thrown by fn (got ${String(caught)})`);
          // The backend is still usable.
          const v = await evaluate1(b, [h], [2, 3], ([x]) => b.scale(x!, 2), 'scale after a failed run');
          expectExact(v, map64(h, (e) => Math.fround(2 * e)), 'scale after a failed run');
          expectExact(await readValues(b, p, 6, 'p'), h.data, 'a failed run changed a persistent tensor');
        } finally {
          b.dispose(p);
        }
      },
    },
    {
      id: 'effects.dispose',
      async run({ b, rng }) {
        const h = randn(rng, [3, 3]);
        const x = b.fromArray(h.data, h.shape);
        const y = b.fromArray(h.data, h.shape);
        const z = b.zerosLike(x);
        b.dispose(x);
        b.dispose(z);
        expectExact(await readValues(b, y, 9, 'y'), h.data, 'disposing one tensor affected another');
        b.dispose(y);
      },
    },
  ];
}

/** Keller Jordan's quintic, five steps. */
const QUINTIC: NewtonSchulzCoefficients[] = Array<NewtonSchulzCoefficients>(5).fill([3.4445, -4.775, 2.0315]);
/** Polar Express (5 steps). */
const POLAR_EXPRESS: NewtonSchulzCoefficients[] = [
  [8.156554524902461, -22.48329292557795, 15.878769915207462],
  [4.042929935166739, -2.808917465908714, 0.5000178451051316],
  [3.8916678022926607, -2.772484153217685, 0.5060648178503393],
  [3.285753657755655, -2.3681294933425376, 0.46449024233003106],
  [2.3465413258596377, -1.7097828382687081, 0.42323551169305323],
];

function fusedChecks(): Check[] {
  const cases: [string, NewtonSchulzCoefficients[], number, number, [number, number][]][] = [
    ['normalize', [[1, 0, 0]], 1, 1e-7, [[1, 1], [3, 5], [17, 33]]],
    ['quintic', QUINTIC, 1, 1e-7, [[1, 1], [1, 17], [8, 8], [17, 33], [33, 130], [64, 64]]],
    ['polarExpress', POLAR_EXPRESS, 1.02, 1e-6, [[5, 9], [33, 65], [64, 64]]],
  ];
  const checks: Check[] = cases.map(([name, coeffs, normScale, normEps, shapes]) => ({
    id: `fused.newtonSchulz.${name}`,
    needs: 'fused.newtonSchulz' as const,
    async run({ b, rng, tol }) {
      const ns = b.fused?.newtonSchulz;
      if (ns === undefined) return;
      for (const shape of shapes) {
        const [m, n] = shape;
        const x = randn(rng, shape);
        const label = `fused.newtonSchulz ${name} ${fmtShape(shape)}`;
        const v = await evaluate1(b, [x], shape, ([p]) => ns.call(b.fused, p!, coeffs, normScale, normEps), label);
        const want = newtonSchulz64(x.data, m, n, coeffs, normScale, normEps);
        let err = 0;
        let norm = 0;
        for (let i = 0; i < want.length; i++) {
          err += (v[i]! - want[i]!) ** 2;
          norm += want[i]! ** 2;
        }
        const rel = Math.sqrt(err / norm);
        check(rel <= tol.newtonSchulz, `${label}: relative Frobenius error ${rel.toExponential(2)} exceeds ${tol.newtonSchulz}`);
      }
    },
  }));
  checks.push({
    id: 'fused.newtonSchulz.zeros',
    needs: 'fused.newtonSchulz',
    async run({ b }) {
      const ns = b.fused?.newtonSchulz;
      if (ns === undefined) return;
      const z: Host = { data: new Float32Array(12), shape: [3, 4] };
      const v = await evaluate1(b, [z], [3, 4], ([p]) => ns.call(b.fused, p!, QUINTIC, 1, 1e-7), 'fused.newtonSchulz of zeros');
      expectExact(v, new Float32Array(12), 'fused.newtonSchulz of a zero matrix must be zero');
    },
  });
  return checks;
}

/** Every check of the suite, in registration order. */
export function allChecks(): Check[] {
  return [...dataChecks(), ...elementwiseChecks(), ...reductionChecks(), ...matmulChecks(), ...effectChecks(), ...fusedChecks()];
}
