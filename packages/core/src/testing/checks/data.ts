/** The data primitives: `isTensor`, `fromArray`, `read`, `zerosLike`, `reshape`, `assign` on every rank, and `transpose`. */
import type { Shape } from '../../backend/contract.js';
import { check, expectExact, expectShape, fmtShape } from '../assert.js';
import { evaluate1, randn, readValues } from '../harness.js';
import { ANY_RANK_SHAPES, map64, type Check } from './common.js';

/** Data primitives, on tensors of every rank. */
export function dataChecks(): Check[] {
  const checks: Check[] = ANY_RANK_SHAPES.map((shape) => ({
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
      id: 'data.isTensor',
      async run({ b, rng }) {
        const own = ANY_RANK_SHAPES.map((shape) => b.fromArray(randn(rng, shape).data, shape));
        const zeros = b.zerosLike(own[2]!);
        try {
          own.forEach((x, i) => check(b.isTensor(x), `isTensor(fromArray(data, ${fmtShape(ANY_RANK_SHAPES[i]!)})) must be true`));
          check(b.isTensor(zeros), 'isTensor(zerosLike(x)) must be true');
          const foreign: Array<[string, unknown]> = [
            ['a Float32Array', new Float32Array(12)],
            ['a plain object with data and shape', { data: new Float32Array(12), shape: [3, 4] }],
            ['an array of numbers', [1, 2, 3]],
            ['a number', 1],
            ['null', null],
            ['undefined', undefined],
          ];
          for (const [what, x] of foreign) check(!b.isTensor(x), `isTensor(${what}) must be false`);
        } finally {
          for (const x of own) b.dispose(x);
          b.dispose(zeros);
        }
      },
    },
    {
      id: 'data.assign.anyRank',
      async run({ b, rng }) {
        for (const shape of ANY_RANK_SHAPES) {
          const h = randn(rng, shape);
          const v = randn(rng, shape);
          const target = b.fromArray(h.data, shape);
          const value = b.fromArray(v.data, shape);
          try {
            await b.run(() => b.assign(target, value));
            expectExact(await readValues(b, target, h.data.length, 'target'), v.data, `assign of ${fmtShape(shape)}`);
            expectShape(b.shape(target), shape, `assign kept the target's shape ${fmtShape(shape)}`);
          } finally {
            b.dispose(target);
            b.dispose(value);
          }
        }
      },
    },
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
              b.scale(b.reshape(x, [1, h.data.length]), 2);
            });
            expectExact(await readValues(b, z, h.data.length, 'zerosLike'), new Float32Array(h.data.length), 'zerosLike values');
            // Assignable, and not aliased with its model.
            const v = randn(rng, shape);
            const src = b.fromArray(v.data, shape);
            await b.run(() => {
              b.assign(z, b.reshape(b.scale(b.reshape(src, [1, v.data.length]), 2), shape));
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
      id: 'data.fromArray.checked',
      async run({ b }) {
        // A tensor whose data does not fill its shape would read past its values (NaN, garbage) in
        // every later step: fromArray must refuse it where it enters.
        const bad: Array<[Float32Array, Shape]> = [
          [new Float32Array(3), [2, 2]],
          [new Float32Array(5), [2, 2]],
          [new Float32Array(4), [-2, -2]],
          [new Float32Array(4), [2.5, 1.6]],
          [new Float32Array(4), [4, Number.NaN]],
        ];
        for (const [data, shape] of bad) {
          let thrown: unknown;
          try {
            b.dispose(b.fromArray(data, shape));
          } catch (error) {
            thrown = error;
          }
          const e = thrown as { name?: unknown; code?: unknown } | undefined;
          check(
            e?.name === 'LmoError' && e.code === 'SHAPE_MISMATCH',
            `fromArray(${data.length} values, ${fmtShape(shape)}) must throw an LmoError with code SHAPE_MISMATCH, ${thrown === undefined ? 'but it returned a tensor' : `got ${String(thrown)}`}`,
          );
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

