/**
 * The contract's rank rule, enforced: a backend whose arithmetic primitives reject anything but
 * 2-D tensors (as a strict custom backend may) must run every norm, every preset and every update
 * mode on parameters of rank 0 to 4, and pass the conformance suite.
 */
import { describe, expect, it } from 'vitest';
import type { TensorBackend } from '../src/backend/contract.js';
import { auto, biasRMS, colNorm, frobenius, muonNorm, rowNorm, sign, signUnscaled, spectral, spectralConv, transposed } from '../src/norms/index.js';
import type { Norm } from '../src/norms/norm.js';
import { createOptimizer } from '../src/optimizer/optimizer.js';
import { muon, normalizedSGD, scion, scionLight, signSGD, unconstrainedScion } from '../src/optimizer/presets.js';
import { createReferenceBackend, type RefTensor } from '../src/reference/index.js';
import { runConformance } from '../src/testing/index.js';
import { asyncBackend, tensor, values } from './helpers/backend.js';
import { awayFromZero, rng } from './helpers/f64.js';

const ARITHMETIC = [
  'transpose', 'add', 'sub', 'mul', 'div', 'scale', 'addScalar', 'axpby', 'sign', 'sqrt', 'abs', 'sumSquares', 'maxAbs', 'matmul',
] as const;

/** The reference backend, with every arithmetic primitive (and the fused kernel) refusing non-2-D tensors. */
function strict2d(): { backend: TensorBackend<RefTensor, 'sync'>; calls: Map<string, number> } {
  const inner = createReferenceBackend();
  const calls = new Map<string, number>();
  const guard = (op: string, xs: unknown[]): void => {
    calls.set(op, (calls.get(op) ?? 0) + 1);
    for (const x of xs) {
      if (inner.isTensor(x) && x.shape.length !== 2) throw new Error(`${op} received a rank-${x.shape.length} tensor [${x.shape.join(', ')}]`);
    }
  };
  const backend = { ...inner } as Record<string, unknown>;
  for (const op of ARITHMETIC) {
    const f = inner[op] as (...args: unknown[]) => unknown;
    backend[op] = (...args: unknown[]) => {
      guard(op, args);
      return f(...args);
    };
  }
  backend['fused'] = {
    newtonSchulz: (xs: RefTensor[], co: never, side: never) => {
      guard('fused.newtonSchulz', xs);
      return inner.fused!.newtonSchulz!(xs, co, side);
    },
  };
  return { backend: backend as unknown as TensorBackend<RefTensor, 'sync'>, calls };
}

const SHAPES: Record<string, number[]> = {
  scalar: [],
  bias: [5],
  matrix: [6, 4],
  wide: [3, 7],
  conv1d: [4, 3, 2],
  conv2d: [4, 2, 3, 3],
};

function params(seed: number): Record<string, RefTensor> {
  const next = rng(seed);
  return Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, tensor(awayFromZero(next, s.reduce((a, d) => a * d, 1), 0.1), s)]));
}

/** Per-rank norms, so that each parameter gets every norm that accepts its rank. */
const NORM_SETS: Array<[string, () => Record<string, Norm>]> = [
  ['auto', () => ({ scalar: auto(), bias: auto(), matrix: auto(), wide: auto(), conv1d: auto(), conv2d: auto() })],
  ['muon', () => ({ scalar: muonNorm(), bias: muonNorm(), matrix: muonNorm(), wide: muonNorm(), conv1d: muonNorm(), conv2d: muonNorm() })],
  ['frobenius/signUnscaled', () => ({ scalar: frobenius(), bias: signUnscaled(), matrix: frobenius(), wide: signUnscaled(), conv1d: frobenius(), conv2d: signUnscaled() })],
  ['matrix norms', () => ({ scalar: biasRMS(), bias: biasRMS(), matrix: colNorm({ transpose: true }), wide: rowNorm(), conv1d: spectralConv({ method: 'polar-express' }), conv2d: spectralConv() })],
  ['sign/transposed', () => ({ scalar: biasRMS(), bias: frobenius(), matrix: sign(), wide: transposed(spectral({ method: 'polar-express', steps: 8 })), conv1d: frobenius(), conv2d: auto() })],
];

describe('arithmetic only ever sees 2-D tensors', () => {
  for (const [label, norms] of NORM_SETS) {
    for (const mode of ['SCG', 'uSCG', 'ScionLight', 'momentum 1'] as const) {
      it(`${label}, ${mode}: init, steps and state on ranks 0–4`, () => {
        const { backend, calls } = strict2d();
        const n = norms();
        const p = params(3);
        const opt = createOptimizer(backend, p, {
          lr: 0.05,
          momentum: mode === 'momentum 1' ? 1 : 0.3,
          unconstrained: mode === 'uSCG',
          light: mode === 'ScionLight',
          groups: Object.entries(n).map(([name, norm]) => ({ name, match: name, norm })),
        });
        opt.init(1);
        for (let k = 0; k < 3; k++) opt.step(params(10 + k));
        if (mode === 'ScionLight') opt.accumulate(params(20));
        opt.loadState(opt.getState());
        for (const t of Object.values(p)) expect(values(t).every(Number.isFinite)).toBe(true);
        expect(calls.get('axpby') ?? 0).toBeGreaterThan(0);
      });
    }
  }

  it('every preset', () => {
    for (const preset of [scion, unconstrainedScion, scionLight, muon, signSGD, normalizedSGD]) {
      const { backend } = strict2d();
      const opt = preset(backend, params(5), { lr: 0.01 });
      opt.step(params(6));
    }
  });

  it('the conformance suite itself respects the rule: the strict backend passes it', async () => {
    const report = await runConformance(strict2d().backend);
    expect(report.failed.map((f) => `${f.id}: ${String((f.error as Error).message)}`)).toEqual([]);
  });

  it('an asynchronous strict backend passes too (every check, the call order included)', async () => {
    const report = await runConformance(asyncBackend(strict2d().backend).backend);
    expect(report.failed.map((f) => `${f.id}: ${String((f.error as Error).message)}`)).toEqual([]);
    expect(report.skipped.map((s) => s.id)).toEqual([]);
  });
});
