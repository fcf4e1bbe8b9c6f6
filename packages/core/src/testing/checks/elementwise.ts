/** The elementwise primitives (2-D). */
import type { Shape } from '../../backend/contract.js';
import { check, expectClose, expectExact, fmtShape } from '../assert.js';
import { evaluate, evaluate1, host, randn, uniform } from '../harness.js';
import { SHAPES_2D, bcast, map64, mixed, type Check } from './common.js';

type BinaryName = 'add' | 'sub' | 'mul' | 'div';
const BINARY: Record<BinaryName, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

/** Elementwise primitives on 2-D tensors, broadcasting included. */
export function elementwiseChecks(): Check[] {
  const checks: Check[] = [];
  const forms: [string, (m: number, n: number) => Shape][] = [
    ['full', (m, n) => [m, n]],
    ['rows', (m) => [m, 1]],
    ['cols', (_m, n) => [1, n]],
    ['scalar', () => [1, 1]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
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

