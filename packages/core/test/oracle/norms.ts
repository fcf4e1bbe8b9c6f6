/**
 * Float64 oracles for every norm of docs/guide/norms.md: the LMO, the norm itself and its dual norm,
 * written from the spec's formulas. Shapes follow PyTorch's `Linear.weight`, `[d_out, d_in]`.
 *
 * Identities the tests rely on (for u = lmo(g), g ≠ 0): ‖u‖ = 1 and ⟨g, u⟩ = ‖g‖_* (up to the
 * 1e-8 eps of the vector normalizations, and up to Newton–Schulz's inexactness for spectral).
 */
import { mat, transpose, type M64 } from './matrix.js';
import { newtonSchulz64, type Method } from './newton-schulz.js';
import { nuclearNorm, polarFactor, spectralNorm } from './svd.js';

export const EPS = 1e-8;

export type Shape = readonly number[];

/** One norm's oracle. `lmo` is what the spec says the code computes (Newton–Schulz for spectral). */
export interface OracleNorm {
  readonly label: string;
  lmo(g: Float64Array, shape: Shape): Float64Array;
  /** The exact LMO (`s·UVᵀ` from an SVD for the spectral family; same as `lmo` otherwise). */
  exact(g: Float64Array, shape: Shape): Float64Array;
  norm(w: Float64Array, shape: Shape): number;
  dual(g: Float64Array, shape: Shape): number;
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function as2d(values: Float64Array, shape: Shape): M64 {
  if (shape.length !== 2) throw new Error(`oracle: expected a 2-D shape, got [${shape.join(', ')}]`);
  return mat(shape[0]!, shape[1]!, values);
}

function l2(values: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += values[i]! * values[i]!;
  return Math.sqrt(ss);
}

/** Column `j` (ℓ2 norms of the columns when `which = 'cols'`, of the rows otherwise). */
function vectorNorms(a: M64, which: 'cols' | 'rows'): Float64Array {
  const count = which === 'cols' ? a.cols : a.rows;
  const out = new Float64Array(count);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const v = a.data[i * a.cols + j]!;
      out[which === 'cols' ? j : i]! += v * v;
    }
  }
  return out.map(Math.sqrt);
}

// ---- sign ------------------------------------------------------------------------------------

export function signOracle(normalized = true): OracleNorm {
  const lmo = (g: Float64Array, shape: Shape): Float64Array => {
    const dIn = as2d(g, shape).cols;
    const k = normalized ? 1 / dIn : 1;
    return g.map((v) => (v > 0 ? k : v < 0 ? -k : 0));
  };
  return {
    label: `sign(normalized=${normalized})`,
    lmo,
    exact: lmo,
    norm: (w, shape) => (normalized ? as2d(w, shape).cols : 1) * w.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    dual: (g, shape) => g.reduce((s, v) => s + Math.abs(v), 0) / (normalized ? as2d(g, shape).cols : 1),
  };
}

// ---- spectral --------------------------------------------------------------------------------

export interface SpectralOracleOptions {
  normalized?: boolean;
  max?: boolean;
  steps?: number;
  method?: Method;
}

export function spectralScale64(dOut: number, dIn: number, normalized: boolean, max: boolean): number {
  const s = normalized ? Math.sqrt(dOut / dIn) : Math.sqrt(dOut);
  return max ? Math.max(1, s) : s;
}

export function spectralOracle(options: SpectralOracleOptions = {}): OracleNorm {
  const normalized = options.normalized ?? true;
  const max = options.max ?? false;
  const steps = options.steps ?? 5;
  const method = options.method ?? 'quintic';
  const s = (shape: Shape): number => spectralScale64(shape[0]!, shape[1]!, normalized, max);
  return {
    label: `spectral(normalized=${normalized}, max=${max}, steps=${steps}, ${method})`,
    lmo: (g, shape) => newtonSchulz64(as2d(g, shape), steps, method).data.map((v) => v * s(shape)),
    exact: (g, shape) => polarFactor(as2d(g, shape)).data.map((v) => v * s(shape)),
    norm: (w, shape) => spectralNorm(as2d(w, shape)) / s(shape),
    dual: (g, shape) => nuclearNorm(as2d(g, shape)) * s(shape),
  };
}

// ---- colNorm / rowNorm -----------------------------------------------------------------------

/** Applies a 2-D oracle to gᵀ and transposes the result back (the norms' `transpose: true`). */
function onTranspose(inner: OracleNorm, label: string): OracleNorm {
  const flip = (shape: Shape): number[] => [shape[1]!, shape[0]!];
  const t = (values: Float64Array, shape: Shape): Float64Array => transpose(as2d(values, shape)).data;
  return {
    label,
    lmo: (g, shape) => t(inner.lmo(t(g, shape), flip(shape)), flip(shape)),
    exact: (g, shape) => t(inner.exact(t(g, shape), flip(shape)), flip(shape)),
    norm: (w, shape) => inner.norm(t(w, shape), flip(shape)),
    dual: (g, shape) => inner.dual(t(g, shape), flip(shape)),
  };
}

/**
 * ColNorm: r_j = ‖g[:,j]‖₂/√d_out (· d_in if normalized); lmo = g_ij/(r_j + eps).
 * ‖W‖ = max_j ‖W_j‖₂·(d_in if normalized)/√d_out; dual Σ_j ‖g_j‖₂·√d_out/(d_in if normalized).
 */
export function colNormOracle(normalized = false, transposeOpt = false): OracleNorm {
  const label = `colNorm(normalized=${normalized}, transpose=${transposeOpt})`;
  const factor = (a: M64): number => (normalized ? a.cols : 1) / Math.sqrt(a.rows);
  const plain: OracleNorm = {
    label,
    lmo(g, shape) {
      const a = as2d(g, shape);
      const r = vectorNorms(a, 'cols').map((n) => n * factor(a));
      return g.map((v, idx) => v / (r[idx % a.cols]! + EPS));
    },
    exact(g, shape) {
      return plain.lmo(g, shape);
    },
    norm: (w, shape) => {
      const a = as2d(w, shape);
      return vectorNorms(a, 'cols').reduce((m, n) => Math.max(m, n), 0) * factor(a);
    },
    dual: (g, shape) => {
      const a = as2d(g, shape);
      return vectorNorms(a, 'cols').reduce((acc, n) => acc + n, 0) / factor(a);
    },
  };
  return transposeOpt ? onTranspose(plain, label) : plain;
}

/**
 * RowNorm: r_i = ‖g[i,:]‖₂ (· √d_in if normalized); lmo = g_ij/(r_i + eps).
 * ‖W‖ = max_i ‖W_i‖₂·(√d_in if normalized); dual Σ_i ‖g_i‖₂/(√d_in if normalized).
 */
export function rowNormOracle(normalized = true, transposeOpt = false): OracleNorm {
  const label = `rowNorm(normalized=${normalized}, transpose=${transposeOpt})`;
  const factor = (a: M64): number => (normalized ? Math.sqrt(a.cols) : 1);
  const plain: OracleNorm = {
    label,
    lmo(g, shape) {
      const a = as2d(g, shape);
      const r = vectorNorms(a, 'rows').map((n) => n * factor(a));
      return g.map((v, idx) => v / (r[Math.floor(idx / a.cols)]! + EPS));
    },
    exact(g, shape) {
      return plain.lmo(g, shape);
    },
    norm: (w, shape) => {
      const a = as2d(w, shape);
      return vectorNorms(a, 'rows').reduce((m, n) => Math.max(m, n), 0) * factor(a);
    },
    dual: (g, shape) => {
      const a = as2d(g, shape);
      return vectorNorms(a, 'rows').reduce((acc, n) => acc + n, 0) / factor(a);
    },
  };
  return transposeOpt ? onTranspose(plain, label) : plain;
}

// ---- biasRMS / frobenius ---------------------------------------------------------------------

/** BiasRMS: lmo = g/(RMS(g) + eps); ‖b‖ = RMS(b); dual √n·‖g‖₂. Any shape is treated as a vector. */
export function biasRmsOracle(): OracleNorm {
  const lmo = (g: Float64Array): Float64Array => {
    const rms = l2(g) / Math.sqrt(g.length);
    return g.map((v) => v / (rms + EPS));
  };
  return {
    label: 'biasRMS',
    lmo,
    exact: lmo,
    norm: (w) => l2(w) / Math.sqrt(w.length),
    dual: (g) => l2(g) * Math.sqrt(g.length),
  };
}

/** Frobenius: lmo = g/(‖g‖_F + eps); self-dual. */
export function frobeniusOracle(): OracleNorm {
  const lmo = (g: Float64Array): Float64Array => {
    const n = l2(g);
    return g.map((v) => v / (n + EPS));
  };
  return { label: 'frobenius', lmo, exact: lmo, norm: (w) => l2(w), dual: (g) => l2(g) };
}

// ---- spectralConv ----------------------------------------------------------------------------

/** √(out/in)/K for a kernel [out, in, ...taps], K = k (conv1d) or kh·kw (k² for square conv2d). */
export function convScale64(shape: Shape): number {
  const taps = size(shape.slice(2));
  return Math.sqrt(shape[0]! / shape[1]!) / taps;
}

/** SpectralConv: NS(reshape(g, [out, -1])) · √(out/in)/K, reshaped back. */
export function spectralConvOracle(steps = 5, method: Method = 'quintic'): OracleNorm {
  const view = (values: Float64Array, shape: Shape): M64 => mat(shape[0]!, size(shape) / shape[0]!, values);
  return {
    label: `spectralConv(steps=${steps}, ${method})`,
    lmo: (g, shape) => newtonSchulz64(view(g, shape), steps, method).data.map((v) => v * convScale64(shape)),
    exact: (g, shape) => polarFactor(view(g, shape)).data.map((v) => v * convScale64(shape)),
    norm: (w, shape) => spectralNorm(view(w, shape)) / convScale64(shape),
    dual: (g, shape) => nuclearNorm(view(g, shape)) * convScale64(shape),
  };
}

// ---- auto / transposed -----------------------------------------------------------------------

/** Auto: rank 3–4 → spectralConv, 2 → spectral, 0–1 → biasRMS (default options). */
export function autoOracle(): OracleNorm {
  const pick = (shape: Shape): OracleNorm => {
    if (shape.length >= 3) return spectralConvOracle();
    if (shape.length === 2) return spectralOracle();
    return biasRmsOracle();
  };
  return {
    label: 'auto',
    lmo: (g, shape) => pick(shape).lmo(g, shape),
    exact: (g, shape) => pick(shape).exact(g, shape),
    norm: (w, shape) => pick(shape).norm(w, shape),
    dual: (g, shape) => pick(shape).dual(g, shape),
  };
}

/** `transposed(norm)`: lmo(g) = norm.lmo(gᵀ)ᵀ on a 2-D parameter. */
export function transposedOracle(inner: OracleNorm): OracleNorm {
  return onTranspose(inner, `transposed(${inner.label})`);
}

export { size as sizeOfShape };
