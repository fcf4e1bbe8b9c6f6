/** The `run` scope: its result per mode, all-or-nothing, guards, commit callbacks, nesting, call order. */
import { check, expectExact } from '../assert.js';
import { evaluate1, randn, readValues } from '../harness.js';
import { map64, withTensors, type Check } from './common.js';

function isPromise(x: unknown): x is Promise<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

export function runChecks(): Check[] {
  return [
    {
      id: 'effects.run.mode',
      async run({ b, rng }) {
        check(b.mode === 'sync' || b.mode === 'async', `mode must be "sync" or "async", got ${String(b.mode)}`);
        const x = b.fromArray(randn(rng, [2, 2]).data, [2, 2]);
        try {
          const reads = [b.read(x), b.allFinite([x]), b.run(() => {})];
          const names = ['read', 'allFinite', 'run'];
          reads.forEach((r, i) => {
            if (b.mode === 'sync') check(!isPromise(r), `${names[i]} of a "sync" backend must not return a Promise`);
            else check(isPromise(r), `${names[i]} of an "async" backend must return a Promise`);
          });
          await Promise.all(reads);
        } finally {
          b.dispose(x);
        }
      },
    },
    {
      id: 'effects.run.result',
      async run({ b }) {
        let called = 0;
        let committed = 0;
        const r = await b.run(
          () => {
            called++;
          },
          { onCommit: () => committed++ },
        );
        check(r === true, `run without a guard must yield true, got ${String(r)}`);
        check(called === 1, `run must call fn exactly once, called it ${called} times`);
        check(committed === 1, `onCommit must be called once after a successful run, was called ${committed} times`);
      },
    },
    {
      id: 'effects.run.throws',
      async run({ b, rng }) {
        const h = randn(rng, [2, 3]);
        await withTensors(b, [h], async (p) => {
          const boom = new Error('conformance: thrown inside run');
          let caught: unknown;
          let committed = 0;
          try {
            await b.run(
              () => {
                b.assign(p, b.scale(p, 2)); // recorded first: must not take effect
                throw boom;
              },
              { onCommit: () => committed++ },
            );
          } catch (e) {
            caught = e;
          }
          check(caught === boom, `run must propagate the error thrown by fn (got ${String(caught)})`);
          check(committed === 0, 'onCommit must not be called when fn throws');
          expectExact(await readValues(b, p, 6, 'p'), h.data, 'an assign made before fn threw took effect');
          // The backend is still usable.
          const v = await evaluate1(b, [h], [2, 3], ([x]) => b.scale(x!, 2), 'scale after a failed run');
          expectExact(v, map64(h, (e) => Math.fround(2 * e)), 'scale after a failed run');
        });
      },
    },
    {
      id: 'effects.run.guard',
      async run({ b, rng }) {
        const h = randn(rng, [3, 4]);
        const p = b.fromArray(h.data, h.shape);
        const good = b.fromArray(randn(rng, [3]).data, [3]);
        const badData = randn(rng, [2, 2, 2]).data;
        badData[5] = NaN;
        const bad = b.fromArray(badData, [2, 2, 2]);
        try {
          const commits = { count: 0 };
          const count = (): number => commits.count;
          const vetoed = await b.run(() => b.assign(p, b.scale(p, 2)), { guard: [good, bad], onCommit: () => commits.count++ });
          check(vetoed === false, `run with a non-finite guard must yield false, got ${String(vetoed)}`);
          check(count() === 0, 'onCommit must not be called when the guard fails');
          expectExact(await readValues(b, p, 12, 'p'), h.data, 'a run whose guard failed wrote its assign');
          const applied = await b.run(() => b.assign(p, b.scale(p, 2)), { guard: [good], onCommit: () => commits.count++ });
          check(applied === true, `run with a finite guard must yield true, got ${String(applied)}`);
          check(count() === 1, 'onCommit must be called once when the guard holds');
          expectExact(await readValues(b, p, 12, 'p'), map64(h, (e) => Math.fround(2 * e)), 'a run whose guard held');
        } finally {
          for (const x of [p, good, bad]) b.dispose(x);
        }
      },
    },
    {
      id: 'effects.run.nested',
      async run({ b, rng }) {
        const h = randn(rng, [2, 2]);
        await withTensors(b, [h, h], async (p, q) => {
          const order: string[] = [];
          let inner: unknown;
          await b.run(
            () => {
              inner = b.run(() => b.assign(q, b.scale(q, 3)), { onCommit: () => order.push('inner') });
              b.assign(p, b.scale(p, 2));
            },
            { onCommit: () => order.push('outer') },
          );
          check((await inner) === true, 'a nested run must yield true once the outer one is applied');
          check(order.length === 2 && order.includes('inner') && order.includes('outer'), `both onCommit callbacks must run once, got ${order.join(', ')}`);
          expectExact(await readValues(b, q, 4, 'q'), map64(h, (e) => Math.fround(3 * e)), 'the nested run’s assign');
          // A nested run inside a run that throws writes nothing.
          let innerOfFailed: unknown;
          try {
            await b.run(() => {
              innerOfFailed = b.run(() => b.assign(p, b.scale(p, 10)));
              throw new Error('conformance: outer throws');
            });
          } catch {
            // expected
          }
          await Promise.resolve(innerOfFailed).catch(() => undefined);
          expectExact(await readValues(b, p, 4, 'p'), map64(h, (e) => Math.fround(2 * e)), 'a nested run inside a failed run took effect');
        });
      },
    },
    {
      id: 'effects.run.order',
      needs: 'mode.async',
      async run({ b, rng }) {
        // Issued without waiting: each run's fn must see every earlier run applied (its commit
        // callback included), and a read must see the runs issued before it.
        const h = randn(rng, [2, 3]);
        await withTensors(b, [h], async (p) => {
          let steps = 0;
          const seen: number[] = [];
          const runs = [1, 2, 3].map(() =>
            b.run(
              () => {
                seen.push(steps);
                b.assign(p, b.addScalar(p, 1));
              },
              { onCommit: () => steps++ },
            ),
          );
          const read = b.read(p);
          await Promise.all(runs);
          check(seen.join(',') === '0,1,2', `each run's fn must be called after the earlier runs committed: saw step counts ${seen.join(', ')}`);
          expectExact(await read, map64(h, (e) => Math.fround(Math.fround(Math.fround(e + 1) + 1) + 1)), 'a read issued after three runs');
        });
      },
    },
    {
      id: 'effects.dispose.order',
      needs: 'mode.async',
      async run({ b, rng }) {
        // A run issued without waiting, then its input disposed at once (what a caller who forgot
        // `await` does): the run must still see the input; dispose takes effect in call order.
        const h = randn(rng, [2, 3]);
        await withTensors(b, [{ data: new Float32Array(6), shape: [2, 3] }], async (target) => {
          const x = b.fromArray(h.data, h.shape);
          const ran = b.run(() => b.assign(target, b.scale(x, 2)));
          b.dispose(x);
          await ran;
          expectExact(await readValues(b, target, 6, 'target'), map64(h, (e) => Math.fround(2 * e)), 'a run issued before dispose(x) must still read x');
          check(!b.isTensor(x), 'isTensor(x) must be false once the work issued before dispose(x) has finished');
        });
      },
    },
  ];
}
