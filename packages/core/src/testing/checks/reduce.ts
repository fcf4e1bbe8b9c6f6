/** The reductions. */
import type { Axis, Shape } from '../../backend/contract.js';
import type { Random } from '../../random.js';
import { sizeOf } from '../../shape.js';
import { check, expectClose, expectExact, fmtShape } from '../assert.js';
import { evaluate, evaluate1, host, randn, type Host } from '../harness.js';
import { SHAPES_2D, mixed, poke, type Check } from './common.js';

/** Reductions on 2-D tensors; `allFinite` on every rank. */
export function reductionChecks(): Check[] {
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
        // The largest float32 magnitudes: no intermediate may overflow (a sum of them would).
        const huge = host([3.4e38, -3.4028234663852886e38, 3e38, 1, -2], [1, 5]);
        const h = await evaluate1(b, [huge], [1, 1], ([p]) => b.maxAbs(p!), 'maxAbs of huge values');
        expectExact(h, [Math.fround(3.4028234663852886e38)], 'maxAbs of the largest float32 values');
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
