/**
 * An independent float64 re-implementation of the LMOs, norms and unified update (docs/guide/norms.md,
 * docs/concepts/update-rule.md), written from the formulas, sharing no code with src/. The optimizer
 * on the float32 reference backend is checked against it step by step.
 */

/** A row-major float64 matrix (vectors and higher ranks are viewed as one row). */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  const d = data ? Float64Array.from(data) : new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new Error(`mat: ${rows}×${cols} needs ${rows * cols} values, got ${d.length}`);
  return { rows, cols, data: d };
}

const EPS = 1e-8;

/** A small seeded generator (mulberry32), independent of src/random.ts. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in (−1, −lo] ∪ [lo, 1): bounded away from 0 so that signs are unambiguous. */
export function awayFromZero(next: () => number, n: number, lo = 0.2): number[] {
  return Array.from({ length: n }, () => {
    const m = lo + (1 - lo) * next();
    return next() < 0.5 ? -m : m;
  });
}

/** Values rounded to float32, as the backend stores them. */
export function f32(xs: ArrayLike<number>): number[] {
  return Array.from(Float32Array.from(xs));
}

// ---- LMOs (each returns +direction, a new matrix) ------------------------------------------------

/** sign(g), divided by d_in (= cols) when normalized. */
export function lmoSign(g: Mat, normalized: boolean): Mat {
  const k = normalized ? 1 / g.cols : 1;
  return mat(g.rows, g.cols, Array.from(g.data, (v) => (v > 0 ? k : v < 0 ? -k : 0)));
}

/** Per column j: r_j = ‖g[:,j]‖₂/√d_out (· d_in if normalized); g_ij/(r_j + eps). */
export function lmoColNorm(g: Mat, normalized: boolean): Mat {
  const out = mat(g.rows, g.cols);
  for (let j = 0; j < g.cols; j++) {
    let ss = 0;
    for (let i = 0; i < g.rows; i++) ss += g.data[i * g.cols + j]! ** 2;
    const r = (Math.sqrt(ss) / Math.sqrt(g.rows)) * (normalized ? g.cols : 1);
    for (let i = 0; i < g.rows; i++) out.data[i * g.cols + j] = g.data[i * g.cols + j]! / (r + EPS);
  }
  return out;
}

/** Per row i: r_i = ‖g[i,:]‖₂ (· √d_in if normalized); g_ij/(r_i + eps). */
export function lmoRowNorm(g: Mat, normalized: boolean): Mat {
  const out = mat(g.rows, g.cols);
  for (let i = 0; i < g.rows; i++) {
    let ss = 0;
    for (let j = 0; j < g.cols; j++) ss += g.data[i * g.cols + j]! ** 2;
    const r = Math.sqrt(ss) * (normalized ? Math.sqrt(g.cols) : 1);
    for (let j = 0; j < g.cols; j++) out.data[i * g.cols + j] = g.data[i * g.cols + j]! / (r + EPS);
  }
  return out;
}

/** g/(‖g‖_F + eps). */
export function lmoFrobenius(g: Mat): Mat {
  const f = frobeniusNorm(g);
  return mat(g.rows, g.cols, Array.from(g.data, (v) => v / (f + EPS)));
}

/** g/(√mean(g²) + eps). */
export function lmoBiasRMS(g: Mat): Mat {
  const rms = frobeniusNorm(g) / Math.sqrt(g.data.length);
  return mat(g.rows, g.cols, Array.from(g.data, (v) => v / (rms + EPS)));
}

function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error('matmul: inner dimensions differ');
  const out = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] = out.data[i * b.cols + j]! + aik * b.data[k * b.cols + j]!;
    }
  }
  return out;
}

export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return out;
}

function lin(alpha: number, x: Mat, beta: number, y: Mat): Mat {
  return mat(x.rows, x.cols, Array.from(x.data, (v, i) => alpha * v + beta * y.data[i]!));
}

/**
 * Newton–Schulz as docs/concepts/orthogonalization.md writes it: X = g; work on Xᵀ if rows > cols; X ← X/(‖X‖_F + 1e-7);
 * `steps` times A = XXᵀ, B = bA + cA², X = aX + BX; transpose back.
 */
export function newtonSchulz(g: Mat, steps = 5): Mat {
  const [a, b, c] = [3.4445, -4.775, 2.0315];
  const tall = g.rows > g.cols;
  let x = tall ? transpose(g) : g;
  const f = frobeniusNorm(x);
  x = mat(x.rows, x.cols, Array.from(x.data, (v) => v / (f + 1e-7)));
  for (let s = 0; s < steps; s++) {
    const A = matmul(x, transpose(x));
    const B = lin(b, A, c, matmul(A, A));
    x = lin(a, x, 1, matmul(B, x));
  }
  return tall ? transpose(x) : x;
}

/** NS(g)·s, s = √(d_out/d_in) (max(1, s) with `max`). */
export function lmoSpectral(g: Mat, max: boolean): Mat {
  const s0 = Math.sqrt(g.rows / g.cols);
  const s = max ? Math.max(1, s0) : s0;
  const x = newtonSchulz(g);
  return mat(x.rows, x.cols, Array.from(x.data, (v) => v * s));
}

// ---- norms (for the ρ-ball checks) -------------------------------------------------------------

export function frobeniusNorm(a: Mat): number {
  let ss = 0;
  for (const v of a.data) ss += v * v;
  return Math.sqrt(ss);
}

/** d_in · max|W| (normalized sign norm). */
export function signNorm(a: Mat): number {
  let m = 0;
  for (const v of a.data) m = Math.max(m, Math.abs(v));
  return a.cols * m;
}

/** max_j ‖W[:,j]‖₂/√d_out (colNorm, not normalized). */
export function colNormValue(a: Mat): number {
  let m = 0;
  for (let j = 0; j < a.cols; j++) {
    let ss = 0;
    for (let i = 0; i < a.rows; i++) ss += a.data[i * a.cols + j]! ** 2;
    m = Math.max(m, Math.sqrt(ss) / Math.sqrt(a.rows));
  }
  return m;
}

/** max_i ‖W[i,:]‖₂·√d_in (rowNorm, normalized). */
export function rowNormValue(a: Mat): number {
  let m = 0;
  for (let i = 0; i < a.rows; i++) {
    let ss = 0;
    for (let j = 0; j < a.cols; j++) ss += a.data[i * a.cols + j]! ** 2;
    m = Math.max(m, Math.sqrt(ss) * Math.sqrt(a.cols));
  }
  return m;
}

// ---- the unified update ------------------------------------------------------------------------

/** One parameter of the float64 simulation, with its group's hyperparameters. */
export interface SimParam {
  readonly name: string;
  readonly lmo: (d: Mat) => Mat;
  readonly lr: number;
  readonly momentum: number;
  readonly rho: number;
  readonly unconstrained: boolean;
  x: Mat;
  /** The momentum buffer (absent when α = 1 or light). */
  d: Mat | undefined;
}

export function simParam(
  name: string,
  x: Mat,
  h: { lmo: (d: Mat) => Mat; lr: number; momentum: number; rho: number; unconstrained: boolean; light?: boolean },
): SimParam {
  const buffered = !(h.light ?? false) && h.momentum < 1;
  return { name, lmo: h.lmo, lr: h.lr, momentum: h.momentum, rho: h.rho, unconstrained: h.unconstrained, x, d: buffered ? mat(x.rows, x.cols) : undefined };
}

/**
 * One step of the update rule (docs/concepts/update-rule.md) for one parameter, with γ = lr · factor:
 * d ← (1 − α)d + αg (skipped when there is no buffer); u = ρ·lmo(d);
 * SCG x ← (1 − γ)x − γu; uSCG x ← x − γu. Returns the d that was used.
 */
export function simStep(p: SimParam, g: Mat, factor: number): Mat {
  const gamma = p.lr * factor;
  let d = g;
  if (p.d !== undefined) {
    d = lin(1 - p.momentum, p.d, p.momentum, g);
    p.d = d;
  }
  const u = p.lmo(d);
  p.x = lin(p.unconstrained ? 1 : 1 - gamma, p.x, -gamma * p.rho, u);
  return d;
}

/** Largest |a_i − b_i| relative to max(1, max|b|). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= err)) err = e; // NaN propagates
  }
  return err / scale;
}
