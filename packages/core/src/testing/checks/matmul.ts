/** `matmul`. */
import type { MatmulOptions } from '../../backend/contract.js';
import { expectClose, expectExact, fmtShape } from '../assert.js';
import { matmul64 } from '../float64.js';
import { evaluate1, randn, type Host } from '../harness.js';
import type { Check, CheckContext } from './common.js';

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

/** `matmul` with every combination of transposes, on square, tall, wide and degenerate shapes. */
export function matmulChecks(): Check[] {
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

