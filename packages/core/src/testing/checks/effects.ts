/** Effects: `assign`, `dispose`, and the `run` scope (all-or-nothing, guards, commits, order). */
import { expectClose, expectExact } from '../assert.js';
import { randn, readValues } from '../harness.js';
import { map64, type Check } from './common.js';
import { runChecks } from './run.js';

/** `assign`, `dispose` and `run`: scopes, guards, commits, nesting and (async) call order. */
export function effectChecks(): Check[] {
  return [
    ...runChecks(),
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

