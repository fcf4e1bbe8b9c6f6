import type { FloatArray } from './types.js';

/** torch's LayerNorm epsilon. */
export const LN_EPS = 1e-5;

/**
 * LayerNorm without bias over rows of `x [rows, C]`: `out = x̂·g`, `x̂ = (x − mean)·rstd`.
 * Keeps `xhat` and `rstd` for the backward pass.
 */
export function layerNormForward(
  x: FloatArray, g: FloatArray, rows: number, C: number,
  out: FloatArray, xhat: FloatArray, rstd: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let mean = 0;
    for (let i = 0; i < C; i++) mean += x[o + i]!;
    mean /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const d = x[o + i]! - mean;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / C + LN_EPS);
    rstd[r] = rs;
    for (let i = 0; i < C; i++) {
      const h = (x[o + i]! - mean) * rs;
      xhat[o + i] = h;
      out[o + i] = h * g[i]!;
    }
  }
}

/**
 * Backward of {@link layerNormForward}: adds `∂L/∂x` into `dx` and `∂L/∂g` into `dg`.
 * `dx_i = rstd·(d̂_i − mean(d̂) − x̂_i·mean(d̂·x̂))` with `d̂ = dout·g`.
 */
export function layerNormBackward(
  dout: FloatArray, g: FloatArray, xhat: FloatArray, rstd: FloatArray, rows: number, C: number,
  dx: FloatArray, dg: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let sumD = 0;
    let sumDX = 0;
    for (let i = 0; i < C; i++) {
      const d = dout[o + i]! * g[i]!;
      sumD += d;
      sumDX += d * xhat[o + i]!;
      dg[i]! += dout[o + i]! * xhat[o + i]!;
    }
    const mD = sumD / C;
    const mDX = sumDX / C;
    const rs = rstd[r]!;
    for (let i = 0; i < C; i++) {
      const d = dout[o + i]! * g[i]!;
      dx[o + i]! += rs * (d - mD - xhat[o + i]! * mDX);
    }
  }
}
