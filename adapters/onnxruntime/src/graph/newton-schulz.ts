// The `NewtonSchulz` composite: the polynomial steps of an orthogonalization as ONNX `Gemm`s, in
// one of two forms chosen by shape, both computing the same polynomial of X.
// `Gemm(P, Q, C) = α·op(P)·op(Q) + β·C` takes the elementwise tails into the GEMMs.
//
// Direct form, for an m × n matrix in its wide orientation (m ≤ n), three GEMMs per step:
//
//   A = X·Xᵀ                      Gemm(X, X, transB)                  2m²n
//   B = b·A + c·A·A               Gemm(A, A, A; α = c, β = b)         2m³
//   X ← a·X + B·X                 Gemm(B, X, X; α = 1, β = a)         2m²n
//
// Gram form. Every step multiplies X by a polynomial of its Gram matrix, Q_k = a·I + b·A_k + c·A_k²,
// and the next Gram matrix is A_{k+1} = Q_k·A_k·Q_k = A_k·Q_k² (Q_k and A_k commute; so do all the
// A's and Q's, being polynomials of A_0). So a run of s steps can work on m × m matrices alone:
//
//   A_0 = X_0·X_0ᵀ                                                   2m²n
//   Q_k = c·A_k·(A_k + (b/c)·I) + a·I      Gemm(A, A + (b/c)I, a·I; α = c)   2m³
//   P_k = Q_k·P_{k−1}                      (P_0 = Q_0)                       2m³
//   A_{k+1} = A_k·(Q_k·Q_k)                (not after the last step)         4m³
//   X_s = P_{s−1}·X_0                                                 2m²n
//
// In directions where X_0 is (nearly) zero, P grows like the product of the a's (3.4445⁵ ≈ 480 for
// five quintic steps), and float32 rounding in P, carried over X_0's large directions, grows with
// it. So the steps are cut into runs whose product of |a| stays within {@link GROWTH_LIMIT} (five
// quintic steps: 3 + 2), each run restarting from the X it produced; then the error stays that of
// the direct form (measured against float64 on exactly low-rank inputs). A run of s steps costs
// 4m²n + (8s − 6)m³; the form with fewer flops is used (for five quintic steps: the Gram form when
// n > 1.5·m, e.g. 60 instead of 90 m³ for nanoGPT's 128 × 512 matrices).
//
// The coefficients become float attributes and constant matrices (graph constants), so they belong
// to the graph's structural key (see ./builder.ts). Internal: not part of the package exports.

import type { GramSide, PolynomialCoefficients } from '@lmo/core/backend';
import { DataType, type InitializerDef, type NodeDef } from '../onnx/model.js';

/** The largest product of |a| over the steps of one run of the Gram form (see the file comment). */
export const GROWTH_LIMIT = 50;

/** The runs of the Gram form: consecutive step counts whose product of |a| stays within {@link GROWTH_LIMIT}. */
export function gramRuns(coefficients: readonly PolynomialCoefficients[]): number[] {
  const runs: number[] = [];
  let growth = Infinity;
  for (const [a] of coefficients) {
    growth *= Math.abs(a);
    if (growth > GROWTH_LIMIT) {
      runs.push(1);
      growth = Math.abs(a);
    } else runs[runs.length - 1]!++;
  }
  return runs;
}

function formCosts(rows: number, cols: number, coefficients: readonly PolynomialCoefficients[]): { direct: number; gram: number } {
  const m = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  const direct = coefficients.length * (4 * m * m * n + 2 * m ** 3);
  if (coefficients.some(([, , c]) => c === 0)) return { direct, gram: Infinity };
  return { direct, gram: gramRuns(coefficients).reduce((sum, s) => sum + 4 * m * m * n + (8 * s - 6) * m ** 3, 0) };
}

/** Which form a `rows × cols` matrix gets: the one with fewer flops (see the file comment). */
export function newtonSchulzForm(rows: number, cols: number, coefficients: readonly PolynomialCoefficients[]): 'direct' | 'gram' {
  const { direct, gram } = formCosts(rows, cols, coefficients);
  return gram < direct ? 'gram' : 'direct';
}

/**
 * Floating-point operations of Newton–Schulz's GEMMs on one `rows × cols` matrix (a multiply-add
 * counts as two; the few elementwise passes are left out), with `m = min(rows, cols)`,
 * `n = max(rows, cols)` and K steps:
 *
 * - `form: 'fused'` (default): what this backend's fused kernel executes — the direct form's
 *   `K·(4m²n + 2m³)` or, where it is smaller, the Gram form's `Σ_runs (4m²n + (8s − 6)m³)` over its
 *   runs of s steps;
 * - `form: 'direct'`: the plain iteration, `A = X·Xᵀ` (2m²n), `A·A` (2m³), `B·X` (2m²n) per step,
 *   `K·(4m²n + 2m³)` — what core's primitives and PyTorch's reference Scion run.
 */
export function newtonSchulzFlops(rows: number, cols: number, coefficients: readonly PolynomialCoefficients[], form: 'fused' | 'direct' = 'fused'): number {
  const { direct, gram } = formCosts(rows, cols, coefficients);
  return form === 'direct' ? direct : Math.min(direct, gram);
}

/** The key part of a NewtonSchulz node: its side and every coefficient as the float32 the graph holds. */
export function newtonSchulzKey(side: GramSide, coefficients: readonly PolynomialCoefficients[]): string {
  return `ns${side === 'left' ? 'L' : 'R'}[${coefficients.map((t) => t.map((v) => Math.fround(v)).join(',')).join(';')}]`;
}

/** Nodes and the constant matrices they use (shared across nodes by name). */
export interface NewtonSchulzGraph {
  readonly nodes: NodeDef[];
  readonly initializers: InitializerDef[];
}

/** `s·I` as an `m × m` float initializer named by its size and value. */
function scaledIdentity(m: number, s: number): InitializerDef {
  const values = new Array<number>(m * m).fill(0);
  for (let i = 0; i < m; i++) values[i * m + i] = s;
  return { name: `ns_eye${m}_${Math.fround(s)}`, dataType: DataType.FLOAT, dims: [m, m], values };
}

/**
 * The nodes computing `out` from the normalized `rows × cols` matrix `x` by the plan's steps, with
 * the Gram matrix on `side` (`'left'`: `X·Xᵀ`, `rows ≤ cols`; `'right'`: `Xᵀ·X`).
 */
export function newtonSchulzNodes(
  x: string, out: string, shape: readonly [number, number], side: GramSide, coefficients: readonly PolynomialCoefficients[],
): NewtonSchulzGraph {
  if (coefficients.length === 0) return { nodes: [{ opType: 'Identity', inputs: [x], outputs: [out] }], initializers: [] };
  const left = side === 'left';
  const gramOf = (v: string, name: string): NodeDef => ({
    opType: 'Gemm', inputs: [v, v], outputs: [name], attributes: left ? { transB: { int: 1 } } : { transA: { int: 1 } },
  });
  const gemm = (inputs: string[], name: string, alpha = 1, beta = 1): NodeDef => ({
    opType: 'Gemm', inputs, outputs: [name], attributes: { ...(alpha !== 1 ? { alpha: { float: alpha } } : {}), ...(beta !== 1 ? { beta: { float: beta } } : {}) },
  });
  const nodes: NodeDef[] = [];
  if (newtonSchulzForm(shape[0], shape[1], coefficients) === 'direct') {
    let cur = x;
    coefficients.forEach(([a, b, c], k) => {
      const next = k === coefficients.length - 1 ? out : `${out}_x${k}`;
      nodes.push(
        gramOf(cur, `${out}_g${k}`),
        gemm([`${out}_g${k}`, `${out}_g${k}`, `${out}_g${k}`], `${out}_p${k}`, c, b),
        gemm(left ? [`${out}_p${k}`, cur, cur] : [cur, `${out}_p${k}`, cur], next, 1, a),
      );
      cur = next;
    });
    return { nodes, initializers: [] };
  }
  const m = Math.min(shape[0], shape[1]);
  const initializers: InitializerDef[] = [];
  let start = 0;
  let cur = x;
  for (const steps of gramRuns(coefficients)) {
    const r = `${out}_r${start}`;
    let gram = `${r}_g0`;
    nodes.push(gramOf(cur, gram));
    let product = '';
    coefficients.slice(start, start + steps).forEach(([a, b, c], k) => {
      const shift = scaledIdentity(m, b / c);
      const constant = scaledIdentity(m, a);
      initializers.push(shift, constant);
      const q = `${r}_q${k}`;
      nodes.push({ opType: 'Add', inputs: [gram, shift.name], outputs: [`${r}_s${k}`] }, gemm([gram, `${r}_s${k}`, constant.name], q, c, 1));
      if (k === 0) product = q;
      else nodes.push(gemm([q, product], (product = `${r}_P${k}`)));
      if (k < steps - 1) nodes.push(gemm([q, q], `${r}_qq${k}`), gemm([gram, `${r}_qq${k}`], (gram = `${r}_g${k + 1}`)));
    });
    start += steps;
    const next = start === coefficients.length ? out : `${r}_x`;
    nodes.push(gemm(left ? [product, cur] : [cur, product], next));
    cur = next;
  }
  return { nodes, initializers };
}
