/**
 * A cache-blocked, register-tiled single-precision matrix multiply for plain JavaScript.
 *
 * Layout (the classic GotoBLAS/BLIS structure, scaled down to what a JIT keeps in registers):
 * - `C` is computed in `NC`-wide column blocks and `KC`-deep slices of the inner dimension;
 * - the slice of `op(B)` is packed into `NR`-column panels and each `MC`-row block of `op(A)` into
 *   `MR`-row panels (zero-padded, in float64), so the transposes are absorbed by the packing and
 *   the micro-kernel reads both operands contiguously;
 * - the micro-kernel keeps an `MR × NR` tile of `C` in local variables (accumulated in float64)
 *   and walks the `KC` slice once.
 *
 * Tiny or skinny products (a dimension below the tile, or few flops) take a direct loop instead,
 * where packing would cost as much as the product.
 */
import type { Shape } from '../backend/contract.js';
import { LmoError } from '../errors.js';
import { formatShape } from './tensor.js';

/** Options for {@link matmul}. */
export interface MatmulArrayOptions {
  /** Use `aᵀ` instead of `a` (`a` is then stored as `[K, M]`). */
  readonly transposeA?: boolean;
  /** Use `bᵀ` instead of `b` (`b` is then stored as `[N, K]`). */
  readonly transposeB?: boolean;
  /** Write the result here (length `M·N`, row-major) instead of a new array. Must not overlap `a` or `b`. */
  readonly out?: Float32Array;
  /** `C += α·op(a)·op(b)` into `out` instead of overwriting it (needs `out`). Default `false`. */
  readonly accumulate?: boolean;
  /** The factor `α` in `C = α·op(a)·op(b)`. Default `1`. */
  readonly alpha?: number;
}

/** Rows of the register tile. */
const MR = 4;
/** Columns of the register tile. */
const NR = 8;
/** Rows of `op(A)` packed at once (a multiple of `MR`). */
const MC = 64;
/** Depth of the inner-dimension slice. */
const KC = 256;
/** Columns of `op(B)` packed at once (a multiple of `NR`). */
const NC = 1024;
/** Below this many multiply-adds, or with a dimension below the tile, use the direct loop. */
const SMALL_WORK = 8192;

let packA = new Float64Array(0);
let packB = new Float64Array(0);
const edgeTile = new Float32Array(MR * NR);
let rowAcc = new Float64Array(0);

/**
 * `op(a) · op(b)` of row-major float32 matrices, `op` being the identity or the transpose.
 *
 * `aShape` and `bShape` are the stored shapes: with `transposeA`, `a` is `[K, M]`; with
 * `transposeB`, `b` is `[N, K]`. The result is `[M, N]`, row-major. Accumulation is in float64
 * within each `KC`-deep slice. NaN and ±Inf propagate as in the naive triple loop (no zero is
 * skipped).
 *
 * @returns `options.out` when given, else a new `Float32Array` of length `M·N`.
 * @throws LmoError `SHAPE_MISMATCH` when the shapes are not 2-D, do not match the data, their
 *   inner dimensions differ, or `out` has the wrong length.
 *
 * @example
 * ```ts
 * const c = matmul(a, [m, k], b, [n, k], { transposeB: true }); // a·bᵀ
 * matmul(x, [m, k], w, [k, n], { out: c, accumulate: true });   // c += x·w
 * ```
 */
export function matmul(
  a: Float32Array,
  aShape: Shape,
  b: Float32Array,
  bShape: Shape,
  options: MatmulArrayOptions = {},
): Float32Array {
  const transposeA = options.transposeA === true;
  const transposeB = options.transposeB === true;
  const [M, K] = matrixDims(a, aShape, transposeA, 'a');
  const [K2, N] = matrixDims(b, bShape, transposeB, 'b');
  if (K !== K2) {
    throw new LmoError(
      'SHAPE_MISMATCH',
      `matmul: inner dimensions differ: op(a) is [${M}, ${K}] (a ${formatShape(aShape)}${transposeA ? ', transposed' : ''}), ` +
        `op(b) is [${K2}, ${N}] (b ${formatShape(bShape)}${transposeB ? ', transposed' : ''})`,
    );
  }
  let c = options.out;
  if (c === undefined) {
    if (options.accumulate === true) throw new LmoError('SHAPE_MISMATCH', 'matmul: accumulate needs an out buffer');
    c = new Float32Array(M * N);
  } else {
    if (c.length !== M * N) {
      throw new LmoError('SHAPE_MISMATCH', `matmul: out has length ${c.length}, the result [${M}, ${N}] needs ${M * N}`);
    }
    if (options.accumulate !== true) c.fill(0);
  }
  gemm(M, N, K, a, transposeA, b, transposeB, c, options.alpha ?? 1, false);
  return c;
}

function matrixDims(x: Float32Array, shape: Shape, transposed: boolean, name: string): [rows: number, cols: number] {
  if (shape.length !== 2) {
    throw new LmoError('SHAPE_MISMATCH', `matmul: ${name} must be 2-D, got shape ${formatShape(shape)}`);
  }
  const r = shape[0]!;
  const c = shape[1]!;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0 || r * c !== x.length) {
    throw new LmoError('SHAPE_MISMATCH', `matmul: ${name} has ${x.length} values, not a ${formatShape(shape)} matrix`);
  }
  return transposed ? [c, r] : [r, c];
}

/**
 * The engine: `C += α · op(A) · op(B)` with `op(A)` `[M, K]`, `op(B)` `[K, N]`, `C` `[M, N]`.
 * With `symmetric` (requires `M = N` and a symmetric result, e.g. `X·Xᵀ`, and `C` symmetric on
 * entry) only the tiles touching the upper triangle are computed and the lower triangle is then
 * mirrored from the upper one, which halves the work.
 * @internal
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  transposeA: boolean,
  b: Float32Array,
  transposeB: boolean,
  c: Float32Array,
  alpha: number,
  symmetric: boolean,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  // op(A)[i][p] = a[i*rsA + p*csA];  op(B)[p][j] = b[p*rsB + j*csB]
  const rsA = transposeA ? 1 : K;
  const csA = transposeA ? M : 1;
  const rsB = transposeB ? 1 : N;
  const csB = transposeB ? K : 1;
  if (M < MR || N < NR || M * N * K <= SMALL_WORK) {
    direct(M, N, K, a, rsA, csA, b, rsB, csB, transposeB, c, alpha);
    return;
  }
  if (packA.length < MC * KC) packA = new Float64Array(MC * KC);
  const needB = KC * Math.min(NC, roundUp(N, NR));
  if (packB.length < needB) packB = new Float64Array(needB);
  const ap = packA;
  const bp = packB;
  const tile = edgeTile;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packPanels(bp, b, pc, kc, jc, nc, NR, rsB, csB);
      for (let ic = 0; ic < M; ic += MC) {
        if (symmetric && ic >= jc + nc) break; // the whole row block lies below the diagonal
        const mc = Math.min(MC, M - ic);
        packPanels(ap, a, pc, kc, ic, mc, MR, csA, rsA);
        for (let jr = 0; jr < nc; jr += NR) {
          const j0 = jc + jr;
          const bOff = jr * kc;
          for (let ir = 0; ir < mc; ir += MR) {
            const i0 = ic + ir;
            if (symmetric && i0 >= j0 + NR) break; // this and all later tiles are below the diagonal
            const aOff = ir * kc;
            if (i0 + MR <= M && j0 + NR <= N) {
              kernel(kc, ap, aOff, bp, bOff, c, i0 * N + j0, N, alpha);
            } else {
              tile.fill(0);
              kernel(kc, ap, aOff, bp, bOff, tile, 0, NR, alpha);
              const rows = Math.min(MR, M - i0);
              const cols = Math.min(NR, N - j0);
              for (let r = 0; r < rows; r++) {
                const co = (i0 + r) * N + j0;
                for (let q = 0; q < cols; q++) c[co + q]! += tile[r * NR + q]!;
              }
            }
          }
        }
      }
    }
  }
  if (symmetric) {
    for (let i = 1; i < M; i++) {
      const row = i * N;
      for (let j = 0; j < i; j++) c[row + j] = c[j * N + i]!;
    }
  }
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * Packs a `depth × width` slice into `width/R` zero-padded panels, each stored depth-major with
 * `R` values per depth step: `dst[panel·depth·R + p·R + r] = src[(p0+p)·sDepth + (w0+panel·R+r)·sWidth]`.
 * For `op(B)`, depth is K and width is N; for `op(A)`, depth is K and width is M.
 */
function packPanels(
  dst: Float64Array,
  src: Float32Array,
  p0: number,
  depth: number,
  w0: number,
  width: number,
  R: number,
  sDepth: number,
  sWidth: number,
): void {
  let o = 0;
  for (let w = 0; w < width; w += R) {
    const valid = Math.min(R, width - w);
    let base = p0 * sDepth + (w0 + w) * sWidth;
    if (valid === R && sWidth === 1) {
      for (let p = 0; p < depth; p++) {
        for (let r = 0; r < R; r++) dst[o + r] = src[base + r]!;
        o += R;
        base += sDepth;
      }
    } else {
      for (let p = 0; p < depth; p++) {
        let r = 0;
        for (; r < valid; r++) dst[o + r] = src[base + r * sWidth]!;
        for (; r < R; r++) dst[o + r] = 0;
        o += R;
        base += sDepth;
      }
    }
  }
}

/** The `4 × 8` micro-kernel: `C[co + r·ldc + q] += α · Σ_p ap[aOff + 4p + r] · bp[bOff + 8p + q]`. */
function kernel(
  kc: number,
  ap: Float64Array,
  aOff: number,
  bp: Float64Array,
  bOff: number,
  c: Float32Array,
  co: number,
  ldc: number,
  alpha: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  let ai = aOff;
  let bi = bOff;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[ai]!, a1 = ap[ai + 1]!, a2 = ap[ai + 2]!, a3 = ap[ai + 3]!;
    let v = bp[bi]!;
    c00 += a0 * v; c10 += a1 * v; c20 += a2 * v; c30 += a3 * v;
    v = bp[bi + 1]!;
    c01 += a0 * v; c11 += a1 * v; c21 += a2 * v; c31 += a3 * v;
    v = bp[bi + 2]!;
    c02 += a0 * v; c12 += a1 * v; c22 += a2 * v; c32 += a3 * v;
    v = bp[bi + 3]!;
    c03 += a0 * v; c13 += a1 * v; c23 += a2 * v; c33 += a3 * v;
    v = bp[bi + 4]!;
    c04 += a0 * v; c14 += a1 * v; c24 += a2 * v; c34 += a3 * v;
    v = bp[bi + 5]!;
    c05 += a0 * v; c15 += a1 * v; c25 += a2 * v; c35 += a3 * v;
    v = bp[bi + 6]!;
    c06 += a0 * v; c16 += a1 * v; c26 += a2 * v; c36 += a3 * v;
    v = bp[bi + 7]!;
    c07 += a0 * v; c17 += a1 * v; c27 += a2 * v; c37 += a3 * v;
    ai += 4;
    bi += 8;
  }
  let o = co;
  c[o]! += alpha * c00; c[o + 1]! += alpha * c01; c[o + 2]! += alpha * c02; c[o + 3]! += alpha * c03;
  c[o + 4]! += alpha * c04; c[o + 5]! += alpha * c05; c[o + 6]! += alpha * c06; c[o + 7]! += alpha * c07;
  o += ldc;
  c[o]! += alpha * c10; c[o + 1]! += alpha * c11; c[o + 2]! += alpha * c12; c[o + 3]! += alpha * c13;
  c[o + 4]! += alpha * c14; c[o + 5]! += alpha * c15; c[o + 6]! += alpha * c16; c[o + 7]! += alpha * c17;
  o += ldc;
  c[o]! += alpha * c20; c[o + 1]! += alpha * c21; c[o + 2]! += alpha * c22; c[o + 3]! += alpha * c23;
  c[o + 4]! += alpha * c24; c[o + 5]! += alpha * c25; c[o + 6]! += alpha * c26; c[o + 7]! += alpha * c27;
  o += ldc;
  c[o]! += alpha * c30; c[o + 1]! += alpha * c31; c[o + 2]! += alpha * c32; c[o + 3]! += alpha * c33;
  c[o + 4]! += alpha * c34; c[o + 5]! += alpha * c35; c[o + 6]! += alpha * c36; c[o + 7]! += alpha * c37;
}

/** The direct loop for small or skinny products, accumulating each output in float64. */
function direct(
  M: number,
  N: number,
  K: number,
  a: Float32Array,
  rsA: number,
  csA: number,
  b: Float32Array,
  rsB: number,
  csB: number,
  transposeB: boolean,
  c: Float32Array,
  alpha: number,
): void {
  if (transposeB) {
    // op(B)[:, j] is contiguous: one dot product per output.
    for (let i = 0; i < M; i++) {
      const aRow = i * rsA;
      for (let j = 0; j < N; j++) {
        const bCol = j * csB;
        let s = 0;
        for (let p = 0; p < K; p++) s += a[aRow + p * csA]! * b[bCol + p]!;
        c[i * N + j]! += alpha * s;
      }
    }
    return;
  }
  // op(B) rows are contiguous: accumulate a whole row of C in float64.
  if (rowAcc.length < N) rowAcc = new Float64Array(N);
  const acc = rowAcc;
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    const aRow = i * rsA;
    for (let p = 0; p < K; p++) {
      const x = a[aRow + p * csA]!;
      const bRow = p * rsB;
      for (let j = 0; j < N; j++) acc[j]! += x * b[bRow + j]!;
    }
    const cRow = i * N;
    for (let j = 0; j < N; j++) c[cRow + j]! += alpha * acc[j]!;
  }
}
