/**
 * The conformance suite must catch broken backends: each mutant below breaks one rule of the
 * contract and must fail the named checks while passing the others.
 */
import { describe, expect, it } from 'vitest';
import type { TensorBackend } from '../src/backend.js';
import { createReferenceBackend, RefTensor } from '../src/reference/index.js';
import { allChecks, DEFAULT_TOLERANCES, type ConformanceTolerances } from '../src/testing/checks.js';
import { rngFor } from '../src/testing/harness.js';
import { conformanceCheckIds } from '../src/testing/index.js';

type B = TensorBackend<RefTensor>;
const checks = new Map(allChecks().map((c) => [c.id, c]));

async function runCheck(b: B, id: string, tol: Partial<ConformanceTolerances> = {}): Promise<void> {
  const c = checks.get(id);
  if (c === undefined) throw new Error(`no check ${id}`);
  await c.run({ b, tol: { ...DEFAULT_TOLERANCES, ...tol }, rng: rngFor(id, 1), id });
}

function mutant(patch: (base: B) => Partial<B>): B {
  const base = createReferenceBackend();
  return { ...base, ...patch(base) };
}

/** Rounds to bfloat16-like precision (8 mantissa bits). */
function roundBf16(x: RefTensor): RefTensor {
  const u = new Uint32Array(x.data.slice().buffer);
  for (let i = 0; i < u.length; i++) u[i] = (u[i]! + 0x8000) & 0xffff0000;
  return new RefTensor(new Float32Array(u.buffer), x.shape);
}

const MUTANTS: [string, B, string[]][] = [
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
    ['elementwise.add'],
  ],
  [
    'mul broadcasts [1, n] per row',
    mutant((b) => ({
      mul: (x, y) => (y.shape[0] === 1 && y.shape[1] !== 1 && x.shape[0] !== 1 ? b.mul(x, b.reshape(y, [y.shape[1]!, 1])) : b.mul(x, y)),
    })),
    ['elementwise.mul.cols'],
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
      },
    })),
    ['effects.run.throws'],
  ],
  ['zerosLike aliases its model', mutant(() => ({ zerosLike: (x) => x })), ['data.zerosLike']],
  ['read returns the live array', mutant(() => ({ read: (x) => x.data })), ['data.copies']],
  ['fromArray keeps the caller’s array', mutant(() => ({ fromArray: (d, s) => new RefTensor(d, s) })), ['data.copies']],
  ['matmul in bfloat16', mutant((b) => ({ matmul: (x, y, o) => b.matmul(roundBf16(x), roundBf16(y), o) })), ['matmul.square130.nn', 'matmul.odd.tn']],
  [
    'newtonSchulz skips the last step',
    mutant((b) => ({ fused: { newtonSchulz: (x, co, s, e) => b.fused!.newtonSchulz!(x, co.slice(0, -1), s, e) } })),
    ['fused.newtonSchulz.quintic', 'fused.newtonSchulz.polarExpress'],
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

  it('every check passes on the reference backend (also run as a suite in reference.conformance.test.ts)', async () => {
    const b = createReferenceBackend();
    for (const id of conformanceCheckIds()) await runCheck(b, id);
  });

  it('check ids are unique and grouped', () => {
    const ids = conformanceCheckIds();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(data|elementwise|reduce|matmul|effects|fused)\.[A-Za-z0-9.]+$/);
  });
});
