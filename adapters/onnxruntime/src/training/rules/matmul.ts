// Matrix products. For `Y = A·B`: `∂A = dY·Bᵀ`, `∂B = Aᵀ·dY`, reduced over broadcast batch axes.
// A weight shared by a batch (B 2-D, A batched, PyTorch's Linear on [batch, seq, in]) gets its
// gradient from one Gemm over the flattened batch, and transposes fold into Gemm's flags.

import type { GradientRule, RuleContext } from './rule.js';

const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

/** `A·B` for one operand of each rank, numpy style (a 1-D operand is a row or a column vector). */
function matmulGrads(ctx: RuleContext, dy: string): [string | undefined, string | undefined] {
  const { e } = ctx;
  const [a, b] = [ctx.input(0), ctx.input(1)];
  const [as, bs, ys] = [ctx.shape(a), ctx.shape(b), ctx.shape(ctx.output(0))];
  // Promote 1-D operands to matrices, and dY to the matching shape.
  const a2 = as.length === 1 ? [1, as[0]!] : [...as];
  const b2 = bs.length === 1 ? [bs[0]!, 1] : [...bs];
  const [M, K, N] = [a2[a2.length - 2]!, a2[a2.length - 1]!, b2[b2.length - 1]!];
  const batch = ys.slice(0, ys.length - (as.length === 1 ? 0 : 1) - (bs.length === 1 ? 0 : 1));
  const y2 = [...batch, M, N];
  const A = e.reshape(a, as, a2);
  const B = e.reshape(b, bs, b2);
  const dY = e.reshape(dy, ys, y2);
  let da: string | undefined;
  let db: string | undefined;
  if (a2.length === 2 && b2.length === 2) {
    if (ctx.wants(0)) da = e.gemm(dY, B, { transB: true });
    if (ctx.wants(1)) db = e.gemm(A, dY, { transA: true });
  } else if (b2.length === 2) {
    // A batched, B shared: ∂B = Σ_batch Aᵀ·dY as one Gemm over the flattened batch.
    if (ctx.wants(0)) da = e.op('MatMul', [dY, e.transpose(B, [1, 0])]);
    const rows = y2.slice(0, -1).reduce((p, d) => p * d, 1);
    if (ctx.wants(1)) db = e.gemm(e.reshape(A, a2, [rows, K]), e.reshape(dY, y2, [rows, N]), { transA: true });
    if (ctx.wants(0)) da = e.unbroadcast(da!, [...batch, M, K], a2);
  } else {
    if (ctx.wants(0)) da = e.unbroadcast(e.op('MatMul', [dY, e.transpose(B, swapLast(b2.length))]), [...batch, M, K], a2);
    if (ctx.wants(1)) db = e.unbroadcast(e.op('MatMul', [e.transpose(A, swapLast(a2.length)), dY]), [...batch, K, N], b2);
  }
  return [da === undefined ? undefined : e.reshape(da, a2, as), db === undefined ? undefined : e.reshape(db, b2, bs)];
}

/** `MatMul` (numpy semantics: batched, broadcast, 1-D operands). */
export const matmul: GradientRule = {
  op: 'MatMul',
  backward: (ctx, [dy]) => matmulGrads(ctx, dy!),
  covers: 'batched, broadcast and 1-D operands',
};

/**
 * `Gemm`: `Y = α·op(A)·op(B) + β·C`. With `A′ = op(A)`, `B′ = op(B)`: `∂A′ = α·dY·B′ᵀ`,
 * `∂B′ = α·A′ᵀ·dY`, `∂C = β·dY` reduced to C's shape.
 */
export const gemm: GradientRule = {
  op: 'Gemm',
  backward: (ctx, [dy]) => {
    const { e } = ctx;
    const attrs = ctx.node.attrs;
    const transA = attrs.int('transA', 0) === 1;
    const transB = attrs.int('transB', 0) === 1;
    const alpha = attrs.float('alpha', 1);
    const beta = attrs.float('beta', 1);
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const da = !ctx.wants(0) ? undefined : transA ? e.gemm(b, dy!, { transA: transB, transB: true, alpha }) : e.gemm(dy!, b, { transB: !transB, alpha });
    const db = !ctx.wants(1) ? undefined : transB ? e.gemm(dy!, a, { transA: true, transB: transA, alpha }) : e.gemm(a, dy!, { transA: !transA, alpha });
    let dc: string | undefined;
    if (ctx.wants(2)) {
      dc = ctx.unbroadcast(dy!, 2);
      if (beta !== 1) dc = e.mul(dc, ctx.scalar(beta));
    }
    return [da, db, dc];
  },
};
