/**
 * The conformance suite must catch broken backends: each mutant below breaks one rule of the
 * contract and must fail the named checks while passing the others.
 */
import { describe, expect, it } from 'vitest';
import type { StorageDtype, TensorBackend } from '../src/backend/contract.js';
import { toBfloat16Bits, toFloat16Bits } from '../src/io/half-precision.js';
import { createReferenceBackend, RefTensor } from '../src/reference/index.js';
import { allChecks, DEFAULT_TOLERANCES, type ConformanceTolerances } from '../src/testing/checks/index.js';
import { rngFor } from '../src/testing/harness.js';
import { spacing } from '../src/testing/checks/storage.js';
import { conformanceCheckIds, runConformance } from '../src/testing/index.js';
import { asyncBackend } from './helpers/backend.js';

type B = TensorBackend<RefTensor>;
const checks = new Map(allChecks().map((c) => [c.id, c]));

async function runCheck(b: B, id: string, tol: Partial<ConformanceTolerances> = {}): Promise<void> {
  const c = checks.get(id);
  if (c === undefined) throw new Error(`no check ${id}`);
  await c.run({ b, tol: { ...DEFAULT_TOLERANCES, ...tol }, rng: rngFor(id, 1), id });
}

function mutant(patch: (base: TensorBackend<RefTensor, 'sync'>) => Partial<B>): B {
  const base = createReferenceBackend();
  return { ...base, ...patch(base) } as B;
}

/** An asynchronous backend (the reference arithmetic on DeferredExecution) with one primitive patched. */
function asyncMutant(patch: (base: TensorBackend<RefTensor, 'async'>) => Partial<B>): B {
  const base = asyncBackend(createReferenceBackend()).backend;
  return { ...base, ...patch(base) } as B;
}

/** Rounds to bfloat16-like precision (8 mantissa bits). */
function roundBf16(x: RefTensor): RefTensor {
  const u = new Uint32Array(x.data.slice().buffer);
  for (let i = 0; i < u.length; i++) u[i] = (u[i]! + 0x8000) & 0xffff0000;
  return new RefTensor(new Float32Array(u.buffer), x.shape);
}

/** float32 values cut (rounded toward zero) to bfloat16's or float16's values: the rounding a careless emulation does. */
function truncate(values: Float32Array, dtype: StorageDtype): Float32Array {
  if (dtype === 'bfloat16') return new Float32Array(new Uint32Array(values.slice().buffer).map((u) => u & 0xffff0000).buffer);
  return values.map((x) => (x === 0 || !Number.isFinite(x) ? x : Math.sign(x) * Math.floor(Math.abs(x) / spacing(Math.abs(x), 'float16')) * spacing(Math.abs(x), 'float16')));
}

/** The reference backend storing 16-bit values truncated instead of rounded to nearest, ties to even. */
function truncating(): B {
  return mutant((b) => {
    const store = (values: Float32Array, dtype: StorageDtype): Uint16Array => (dtype === 'bfloat16' ? toBfloat16Bits : toFloat16Bits)(truncate(values, dtype));
    return {
      fromArray: (data, shape, dtype = 'float32') => (dtype === 'float32' ? b.fromArray(data, shape) : new RefTensor(store(data, dtype), shape, dtype)),
      assign: (t, v) => (t.bits === undefined ? b.assign(t, v) : t.bits.set(store(v.data, t.dtype))),
      storage: { ...b.storage!, round: (x, dtype, seed) => (seed === undefined && dtype !== 'float32' ? new RefTensor(truncate(x.data, dtype), x.shape) : b.storage!.round(x, dtype, seed)) },
    };
  });
}

const MUTANTS: [string, B, string[]][] = [
  [
    '16-bit storage truncated instead of rounded to nearest, ties to even',
    truncating(),
    ['storage.bfloat16.fromArray', 'storage.bfloat16.assign', 'storage.bfloat16.round', 'storage.float16.fromArray', 'storage.float16.assign', 'storage.float16.round'],
  ],
  [
    'stochastic rounding that rounds to nearest',
    mutant((b) => ({ storage: { ...b.storage!, round: (x, dtype) => b.storage!.round(x, dtype) } })),
    ['storage.bfloat16.stochastic', 'storage.float16.stochastic'],
  ],
  [
    'stochastic rounding that ignores the seed',
    mutant((b) => ({ storage: { ...b.storage!, round: (x, dtype, seed) => b.storage!.round(x, dtype, seed === undefined ? undefined : 7) } })),
    ['storage.bfloat16.stochastic'],
  ],
  [
    'a float32-only backend that stores a 16-bit request as float32',
    mutant((b) => ({ storage: undefined, fromArray: (data, shape) => b.fromArray(data, shape), zerosLike: (x) => b.zerosLike(x, 'float32') })),
    ['storage.declared'],
  ],
  [
    'reshape widens a 16-bit tensor to float32',
    mutant(() => ({ reshape: (x, shape) => new RefTensor(x.data, shape) })),
    ['storage.bfloat16.operands', 'storage.float16.operands'],
  ],
  [
    'an asynchronous dispose that frees at once, before the runs issued earlier',
    asyncMutant(() => ({ dispose: (x) => void x.data.fill(Number.NaN) })),
    ['effects.dispose.order'],
  ],
  ['sign(0) = 1', mutant((b) => ({ sign: (x) => b.addScalar(b.scale(b.sign(b.addScalar(x, 1e-30)), 1), 0) })), ['elementwise.sign']],
  ['transposeB ignored', mutant((b) => ({ matmul: (x, y, o) => b.matmul(x, y, { transposeA: o?.transposeA ?? false }) })), ['matmul.square17.nt', 'matmul.square3.tt']],
  [
    'add writes into its left operand',
    mutant((b) => ({
      add: (x, y) => {
        const r = b.add(x, y);
        x.data.set(r.data);
        return r;
      },
    })),
    ['elementwise.add.full'],
  ],
  ['add does not broadcast', mutant((b) => ({ add: (x, y) => (x.shape.join() === y.shape.join() ? b.add(x, y) : b.mul(x, b.addScalar(b.scale(y, 0), 1))) })), ['elementwise.add.rows', 'elementwise.add.scalar']],
  [
    'mul broadcasts [1, n] per row',
    mutant((b) => ({
      mul: (x, y) => (y.shape[0] === 1 && y.shape[1] !== 1 && x.shape[0] !== 1 ? b.mul(x, b.reshape(y, [y.shape[1]!, 1])) : b.mul(x, y)),
    })),
    ['elementwise.mul.cols'],
  ],
  [
    'sumSquares reduces along the wrong axis of a square matrix',
    mutant((b) => ({
      sumSquares: (x, axis) => {
        const [m, n] = x.shape as [number, number];
        if (axis === undefined || m !== n) return axis === undefined ? b.sumSquares(x) : b.sumSquares(x, axis);
        return b.reshape(b.sumSquares(x, axis === 0 ? 1 : 0), axis === 0 ? [1, n] : [m, 1]);
      },
    })),
    ['reduce.sumSquares.axis0', 'reduce.sumSquares.axis1'],
  ],
  [
    'mul broadcasts a [1, n] row down the columns of a square matrix',
    mutant((b) => ({
      mul: (x, y) => (x.shape[0] === x.shape[1] && x.shape[0] !== 1 && y.shape[0] === 1 && y.shape[1] !== 1 ? b.mul(x, b.reshape(y, [y.shape[1]!, 1])) : b.mul(x, y)),
    })),
    ['elementwise.mul.cols'],
  ],
  [
    'fromArray pads or cuts data that does not fill the shape',
    mutant(() => ({ fromArray: (data, shape) => new RefTensor(Float32Array.from({ length: shape.reduce((a, d) => a * Math.max(0, Math.floor(d) || 0), 1) }, (_, i) => data[i] ?? Number.NaN), shape.map((d) => Math.max(0, Math.floor(d) || 0))) })),
    ['data.fromArray.checked'],
  ],
  ['sumSquares axes swapped', mutant((b) => ({ sumSquares: (x, axis) => (axis === undefined ? b.sumSquares(x) : b.transpose(b.sumSquares(b.transpose(x), axis))) })), ['reduce.sumSquares.axis0']],
  [
    'allFinite misses −Inf',
    mutant((b) => ({ allFinite: (xs) => xs.every((x) => x.data.every((v) => !Number.isNaN(v) && v !== Infinity)) && b.allFinite([]) })),
    ['reduce.allFinite.negInf'],
  ],
  [
    'maxAbs ignores NaN',
    mutant(() => ({ maxAbs: (x) => new RefTensor(Float32Array.of(x.data.reduce((m, v) => (Math.abs(v) > m ? Math.abs(v) : m), 0)), [1, 1]) })),
    ['reduce.nan'],
  ],
  [
    'run swallows errors',
    mutant(() => ({
      run: (fn) => {
        try {
          fn();
        } catch {
          /* swallowed */
        }
        return true;
      },
    })),
    ['effects.run.throws'],
  ],
  [
    'run applies assigns at once (a scope that throws half-writes)',
    mutant((b) => ({
      assign: (t, v) => {
        t.data.set(v.data);
      },
      run: (fn, o) => b.run(fn, o),
    })),
    ['effects.run.throws'],
  ],
  ['run ignores its guard', mutant((b) => ({ run: (fn, o) => b.run(fn, { ...(o?.onCommit ? { onCommit: o.onCommit } : {}) }) })), ['effects.run.guard']],
  ['run never calls onCommit', mutant((b) => ({ run: (fn, o) => b.run(fn, { ...(o?.guard ? { guard: o.guard } : {}) }) })), ['effects.run.result', 'effects.run.guard']],
  ['run returns nothing', mutant((b) => ({ run: ((fn: () => void) => void b.run(fn)) as unknown as B['run'] })), ['effects.run.result']],
  ['a sync backend answering with Promises', mutant((b) => ({ read: ((x: RefTensor) => Promise.resolve(b.read(x))) as unknown as B['read'] })), ['effects.run.mode']],
  ['isTensor accepts a Float32Array', mutant((b) => ({ isTensor: (x: unknown): x is RefTensor => b.isTensor(x) || x instanceof Float32Array })), ['data.isTensor']],
  ['assign of a rank-0 tensor does nothing', mutant((b) => ({ assign: (t, v) => (t.shape.length === 0 ? undefined : b.assign(t, v)) })), ['data.assign.anyRank']],
  [
    'an async backend that records each function when it is called, not in its turn',
    asyncMutant((b) => {
      let recording: Array<readonly [RefTensor, RefTensor]> | undefined;
      return {
        run: (fn, o) => {
          const writes: Array<readonly [RefTensor, RefTensor]> = [];
          recording = writes;
          try {
            fn();
          } finally {
            recording = undefined;
          }
          return b.run(() => {
            for (const [t, v] of writes) b.assign(t, v);
          }, o);
        },
        assign: (t, v) => (recording ? recording.push([t, v]) : b.assign(t, v)),
      };
    }),
    ['effects.run.order'],
  ],
  ['zerosLike aliases its model', mutant(() => ({ zerosLike: (x) => x })), ['data.zerosLike']],
  ['read returns the live array', mutant(() => ({ read: (x) => x.data })), ['data.copies']],
  ['fromArray keeps the caller’s array', mutant(() => ({ fromArray: (d, s) => new RefTensor(d, s) })), ['data.copies']],
  ['matmul in bfloat16', mutant((b) => ({ matmul: (x, y, o) => b.matmul(roundBf16(x), roundBf16(y), o) })), ['matmul.square130.nn', 'matmul.odd.tn']],
  [
    'newtonSchulz skips the last step',
    mutant((b) => ({ fused: { newtonSchulz: (xs, co, side) => b.fused!.newtonSchulz!(xs, co.slice(0, -1), side) } })),
    ['fused.newtonSchulz.quintic.left', 'fused.newtonSchulz.quintic.batch'],
  ],
  [
    'newtonSchulz handles only the first matrix of a batch',
    mutant((b) => ({ fused: { newtonSchulz: (xs, co, side) => xs.map(() => b.fused!.newtonSchulz!([xs[0]!], co, side)[0]!) } })),
    ['fused.newtonSchulz.quintic.batch'],
  ],
];

describe('the conformance suite catches broken backends', () => {
  for (const [what, backend, ids] of MUTANTS) {
    for (const id of ids) {
      it(`${what} → fails ${id}`, async () => {
        await expect(runCheck(backend, id)).rejects.toThrow();
      });
    }
  }

  it('a bfloat16 matmul passes once the matmul tolerance is loosened', async () => {
    const [, backend] = MUTANTS.find(([w]) => w === 'matmul in bfloat16')!;
    await runCheck(backend, 'matmul.square130.nn', { matmul: 1e-2 });
  });

  it('every check passes on the reference backend, through the runner-agnostic runConformance', async () => {
    const report = await runConformance(createReferenceBackend());
    expect(report.failed).toEqual([]);
    // Only the async-only call-order checks are skipped on a synchronous backend.
    expect(report.skipped.map((s) => s.id)).toEqual(['effects.run.order', 'effects.dispose.order']);
    expect(report.passed.length + report.skipped.length).toBe(conformanceCheckIds().length);
  });

  it('runConformance reports failures and honours skips', async () => {
    const [, broken] = MUTANTS.find(([w]) => w === 'sign(0) = 1')!;
    const report = await runConformance(broken, { skip: { matmul: 'not under test here' } });
    expect(report.failed.map((f) => f.id)).toContain('elementwise.sign');
    expect(report.failed.every((f) => !f.id.startsWith('matmul.'))).toBe(true);
    expect(report.skipped.filter((s) => s.id.startsWith('matmul.')).every((s) => s.reason === 'not under test here')).toBe(true);
    await expect(runConformance(broken, { skip: { 'no.such': 'x' } })).rejects.toThrow(/no.such/);
  });

  it('check ids are unique and grouped', () => {
    const ids = conformanceCheckIds();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(data|elementwise|reduce|matmul|effects|fused|storage)\.[A-Za-z0-9.]+$/);
  });
});
