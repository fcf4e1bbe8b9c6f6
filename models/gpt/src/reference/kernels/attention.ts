import type { FloatArray } from './types.js';

/** Shapes of one causal self-attention call: `qkv [B·T, 3C]` → `y [B·T, C]`, `P [B, H, T, T]`. */
export interface AttentionDims {
  readonly B: number;
  readonly T: number;
  readonly C: number;
  readonly H: number;
}

/**
 * Causal softmax attention per batch row and head. Head `h` reads columns `h·hs … (h+1)·hs` of the
 * q, k and v thirds of `qkv`. Keeps the probabilities `P` (zeros above the diagonal).
 */
export function attentionForward(qkv: FloatArray, d: AttentionDims, P: FloatArray, y: FloatArray): void {
  const { B, T, C, H } = d;
  const hs = C / H;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const pBase = (b * H + h) * T * T;
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * C3 + h * hs;
        const pRow = pBase + t * T;
        let max = -Infinity;
        for (let s = 0; s <= t; s++) {
          const k = (b * T + s) * C3 + C + h * hs;
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += qkv[q + i]! * qkv[k + i]!;
          dot *= scale;
          P[pRow + s] = dot;
          if (dot > max) max = dot;
        }
        let sum = 0;
        for (let s = 0; s <= t; s++) {
          const e = Math.exp(P[pRow + s]! - max);
          P[pRow + s] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let s = 0; s <= t; s++) P[pRow + s]! *= inv;
        for (let s = t + 1; s < T; s++) P[pRow + s] = 0;
        const yo = (b * T + t) * C + h * hs;
        for (let i = 0; i < hs; i++) y[yo + i] = 0;
        for (let s = 0; s <= t; s++) {
          const p = P[pRow + s]!;
          const v = (b * T + s) * C3 + 2 * C + h * hs;
          for (let i = 0; i < hs; i++) y[yo + i]! += p * qkv[v + i]!;
        }
      }
    }
  }
}

/**
 * Backward of {@link attentionForward}: writes `∂L/∂qkv` into `dqkv` (overwritten). `dP` is scratch
 * of length `T`.
 */
export function attentionBackward(
  dy: FloatArray, qkv: FloatArray, P: FloatArray, d: AttentionDims, dqkv: FloatArray, dP: FloatArray,
): void {
  const { B, T, C, H } = d;
  const hs = C / H;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(hs);
  dqkv.fill(0, 0, B * T * C3);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const pBase = (b * H + h) * T * T;
      for (let t = 0; t < T; t++) {
        const pRow = pBase + t * T;
        const dyo = (b * T + t) * C + h * hs;
        // dP[s] = dy_t · v_s, dv_s += P[t,s]·dy_t
        let sumPdP = 0;
        for (let s = 0; s <= t; s++) {
          const v = (b * T + s) * C3 + 2 * C + h * hs;
          const p = P[pRow + s]!;
          let dot = 0;
          for (let i = 0; i < hs; i++) {
            const g = dy[dyo + i]!;
            dot += g * qkv[v + i]!;
            dqkv[v + i]! += p * g;
          }
          dP[s] = dot;
          sumPdP += p * dot;
        }
        // dS = P ⊙ (dP − Σ P·dP); dq_t += scale·Σ dS·k_s; dk_s += scale·dS·q_t
        const q = (b * T + t) * C3 + h * hs;
        for (let s = 0; s <= t; s++) {
          const dS = P[pRow + s]! * (dP[s]! - sumPdP) * scale;
          if (dS === 0) continue;
          const k = (b * T + s) * C3 + C + h * hs;
          for (let i = 0; i < hs; i++) {
            dqkv[q + i]! += dS * qkv[k + i]!;
            dqkv[k + i]! += dS * qkv[q + i]!;
          }
        }
      }
    }
  }
}
