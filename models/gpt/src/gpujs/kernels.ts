/**
 * gpu.js kernel sources of the GPT forward and backward passes.
 *
 * Each kernel writes a flat 1-D output, one element per thread (`this.thread.x`), over row-major
 * data. Shapes are baked into the source, so every loop bound is a compile-time constant (as the GL
 * and WGSL translators require) and one kernel is compiled per (kernel, shape). Causal masks are
 * `if`s inside full-length loops for the same reason. Sources use only the JavaScript subset gpu.js
 * translates: `let`/`const`, `for`, `if`, arithmetic and `Math.*`.
 *
 * The math is the reference model's (`../reference/kernels/*`), written per output element.
 */
import { erfStatements, lit } from './erf.js';

/** A kernel: its source text and its output length. */
export interface KernelSource {
  readonly source: string;
  readonly size: number;
}

/** torch's LayerNorm epsilon (as the reference). */
const LN_EPS = 1e-5;

/**
 * Statements declaring `names[k]` as the indices of `this.thread.x` in a row-major array of
 * dimensions `dims` (last fastest). Float division may be inexact on some engines: each step is
 * corrected so the quotient and remainder are exact.
 */
function indices(names: readonly string[], dims: readonly number[]): string {
  let code = '';
  let rest = 'this.thread.x';
  for (let k = dims.length - 1; k >= 1; k--) {
    const n = dims[k] as number;
    const q = `idxQ${k}`;
    const r = names[k] as string;
    code +=
      `let ${q} = Math.floor(${rest} / ${lit(n)});\n` +
      `  let ${r} = ${rest} - ${q} * ${n};\n` +
      `  if (${r} < 0) { ${q} = ${q} - 1; ${r} = ${r} + ${n}; }\n` +
      `  if (${r} >= ${n}) { ${q} = ${q} + 1; ${r} = ${r} - ${n}; }\n  `;
    rest = q;
  }
  return code + `const ${names[0] as string} = ${rest};\n  `;
}

function fn(args: string, body: string): string {
  return `function (${args}) {\n  ${body}\n}`;
}

/** `x0[n, i] = wte[tok[n], i] + wpe[n mod T, i]` for `N` tokens (`tok` holds the ids as floats). */
export function embed(N: number, T: number, C: number): KernelSource {
  return {
    size: N * C,
    source: fn('tok, wte, wpe', `${indices(['b', 't', 'i'], [N / T, T, C])}const n = b * ${T} + t;\n  return wte[tok[n] * ${C} + i] + wpe[t * ${C} + i];`),
  };
}

/**
 * LayerNorm statistics of `x [R, C]` rows: output `[2R]`, `mean` in the first `R` and
 * `rstd = 1/√(var + ε)` in the last `R`.
 */
export function lnStats(R: number, C: number): KernelSource {
  return {
    size: 2 * R,
    source: fn(
      'x',
      `let r = this.thread.x;\n  if (r >= ${R}) { r = r - ${R}; }\n` +
        `  let mean = 0.0;\n  for (let i = 0; i < ${C}; i++) { mean = mean + x[r * ${C} + i]; }\n` +
        `  mean = mean / ${lit(C)};\n  if (this.thread.x < ${R}) { return mean; }\n` +
        `  let v = 0.0;\n  for (let i = 0; i < ${C}; i++) { const d = x[r * ${C} + i] - mean; v = v + d * d; }\n` +
        `  return 1.0 / Math.sqrt(v / ${lit(C)} + ${lit(LN_EPS)});`,
    ),
  };
}

/** LayerNorm output `(x − mean)·rstd·g` from {@link lnStats}. */
export function lnOut(R: number, C: number): KernelSource {
  return {
    size: R * C,
    source: fn('x, st, g', `${indices(['r', 'i'], [R, C])}return (x[this.thread.x] - st[r]) * st[r + ${R}] * g[i];`),
  };
}

/**
 * `out = op(a)·op(b)` (`[m, n]`, inner size `k`), plus `res` when `residual`: `op(a)` is `a` `[m, k]`
 * or, with `ta`, `a` stored `[k, m]` transposed; `op(b)` is `b` `[k, n]` or, with `tb`, `b` stored
 * `[n, k]` transposed. Four independent accumulators shorten the dependency chain.
 */
export function matmul(m: number, n: number, k: number, ta: boolean, tb: boolean, residual: boolean): KernelSource {
  const aAt = (p: string): string => (ta ? `a[(${p}) * ${m} + i]` : `a[i * ${k} + (${p})]`);
  const bAt = (p: string): string => (tb ? `b[j * ${k} + (${p})]` : `b[(${p}) * ${n} + j]`);
  const main = Math.floor(k / 4) * 4;
  let body = `${indices(['i', 'j'], [m, n])}let s0 = 0.0;\n  let s1 = 0.0;\n  let s2 = 0.0;\n  let s3 = 0.0;\n`;
  if (main > 0) {
    body +=
      `  for (let p = 0; p < ${main}; p += 4) {\n` +
      `    s0 = s0 + ${aAt('p')} * ${bAt('p')};\n    s1 = s1 + ${aAt('p + 1')} * ${bAt('p + 1')};\n` +
      `    s2 = s2 + ${aAt('p + 2')} * ${bAt('p + 2')};\n    s3 = s3 + ${aAt('p + 3')} * ${bAt('p + 3')};\n  }\n`;
  }
  for (let p = main; p < k; p++) body += `  s0 = s0 + ${aAt(String(p))} * ${bAt(String(p))};\n`;
  body += residual ? `  return res[this.thread.x] + ((s0 + s1) + (s2 + s3));` : `  return (s0 + s1) + (s2 + s3);`;
  return { size: m * n, source: fn(residual ? 'a, b, res' : 'a, b', body) };
}

/** Attention dimensions: batch rows, heads, sequence length, width. */
export interface AttnDims {
  readonly B: number;
  readonly H: number;
  readonly T: number;
  readonly C: number;
}

/** Scaled causal scores `S[b, h, t, s] = q_t·k_s / √hs` for `s ≤ t` (0 above the diagonal). */
export function attnScores({ B, H, T, C }: AttnDims): KernelSource {
  const hs = C / H;
  return {
    size: B * H * T * T,
    source: fn(
      'qkv',
      `${indices(['b', 'h', 't', 's'], [B, H, T, T])}if (s > t) { return 0.0; }\n` +
        `  const q = (b * ${T} + t) * ${3 * C} + h * ${hs};\n  const kk = (b * ${T} + s) * ${3 * C} + ${C} + h * ${hs};\n` +
        `  let dot = 0.0;\n  for (let i = 0; i < ${hs}; i++) { dot = dot + qkv[q + i] * qkv[kk + i]; }\n` +
        `  return dot * ${lit(1 / Math.sqrt(hs))};`,
    ),
  };
}

/**
 * Softmax statistics of `R` rows of width `W`: output `[2R]`, the row max in the first `R`, the sum
 * of `exp(v − max)` in the last `R`. With `causalT`, row `r` only spans columns `s ≤ r mod T`.
 */
export function softmaxStats(R: number, W: number, causalT: number | null): KernelSource {
  const valid = causalT === null ? '' : `if (s <= t) `;
  const tDecl = causalT === null ? '' : `const t = r - Math.floor(r / ${lit(causalT)}) * ${causalT};\n  `;
  return {
    size: 2 * R,
    source: fn(
      'x',
      `let r = this.thread.x;\n  if (r >= ${R}) { r = r - ${R}; }\n  ${tDecl}` +
        `let mx = -3.4e38;\n  for (let s = 0; s < ${W}; s++) { ${valid}{ const v = x[r * ${W} + s]; if (v > mx) { mx = v; } } }\n` +
        `  if (this.thread.x < ${R}) { return mx; }\n` +
        `  let sum = 0.0;\n  for (let s = 0; s < ${W}; s++) { ${valid}{ sum = sum + Math.exp(x[r * ${W} + s] - mx); } }\n` +
        `  return sum;`,
    ),
  };
}

/** Causal attention probabilities `P = exp(S − max)/sum` (0 above the diagonal), `[R·T]` with `R = B·H·T`. */
export function attnProbs(R: number, T: number): KernelSource {
  return {
    size: R * T,
    source: fn(
      'x, st',
      `${indices(['r', 's'], [R, T])}const t = r - Math.floor(r / ${lit(T)}) * ${T};\n` +
        `  if (s > t) { return 0.0; }\n  return Math.exp(x[this.thread.x] - st[r]) / st[r + ${R}];`,
    ),
  };
}

/** Attention output `y[b·T + t, h·hs + i] = Σ_{s ≤ t} P[b, h, t, s]·v_s[h·hs + i]`. */
export function attnOut({ B, H, T, C }: AttnDims): KernelSource {
  const hs = C / H;
  return {
    size: B * T * C,
    source: fn(
      'P, qkv',
      `${indices(['b', 't', 'h', 'i'], [B, T, H, hs])}const pr = ((b * ${H} + h) * ${T} + t) * ${T};\n` +
        `  let acc = 0.0;\n  for (let s = 0; s < ${T}; s++) { if (s <= t) {\n` +
        `    acc = acc + P[pr + s] * qkv[(b * ${T} + s) * ${3 * C} + ${2 * C} + h * ${hs} + i];\n  } }\n  return acc;`,
    ),
  };
}

/** Exact GELU `x·Φ(x)`, `Φ(x) = (1 + erf(x/√2))/2`. */
export function gelu(size: number): KernelSource {
  return {
    size,
    source: fn(
      'x',
      `const v = x[this.thread.x];\n  const u = v * ${lit(Math.SQRT1_2)};\n  let e = 0.0;\n  ${erfStatements('u', 'e')}` +
        `  return v * (0.5 * (1.0 + e));`,
    ),
  };
}

/** `dx = dout·(Φ(x) + x·φ(x))`. */
export function geluBackward(size: number): KernelSource {
  return {
    size,
    source: fn(
      'dout, x',
      `const v = x[this.thread.x];\n  const u = v * ${lit(Math.SQRT1_2)};\n  let e = 0.0;\n  ${erfStatements('u', 'e')}` +
        `  const cdf = 0.5 * (1.0 + e);\n` +
        `  return dout[this.thread.x] * (cdf + v * ${lit(1 / Math.sqrt(2 * Math.PI))} * Math.exp(-0.5 * v * v));`,
    ),
  };
}

/** Per-row cross-entropy `log(sum) + max − logit[target]` from {@link softmaxStats} (`[N]`). */
export function ceLoss(N: number, V: number): KernelSource {
  return {
    size: N,
    source: fn('x, st, y', `const n = this.thread.x;\n  return Math.log(st[n + ${N}]) + st[n] - x[n * ${V} + y[n]];`),
  };
}

/** `∂L/∂logits = (softmax − onehot(target))/N`. */
export function ceGrad(N: number, V: number): KernelSource {
  return {
    size: N * V,
    source: fn(
      'x, st, y',
      `${indices(['n', 'v'], [N, V])}let p = Math.exp(x[this.thread.x] - st[n]) / st[n + ${N}] * ${lit(1 / N)};\n` +
        `  if (Math.abs(v - y[n]) < 0.5) { p = p - ${lit(1 / N)}; }\n  return p;`,
    ),
  };
}

/**
 * Per-row means for the LayerNorm backward: output `[2R]`, `mean(d)` then `mean(d·x̂)` with
 * `d = dout·g`, `x̂ = (x − mean)·rstd` ({@link lnStats} `st`).
 */
export function lnBackRows(R: number, C: number): KernelSource {
  return {
    size: 2 * R,
    source: fn(
      'dout, g, x, st',
      `let r = this.thread.x;\n  if (r >= ${R}) { r = r - ${R}; }\n  const mu = st[r];\n  const rs = st[r + ${R}];\n` +
        `  let acc = 0.0;\n  for (let i = 0; i < ${C}; i++) {\n    const d = dout[r * ${C} + i] * g[i];\n` +
        `    if (this.thread.x < ${R}) { acc = acc + d; } else { acc = acc + d * ((x[r * ${C} + i] - mu) * rs); }\n  }\n` +
        `  return acc / ${lit(C)};`,
    ),
  };
}

/** `dx (+ dxIn) = rstd·(d − mean(d) − x̂·mean(d·x̂))`; `accumulate` adds the incoming `dxIn`. */
export function lnBackDx(R: number, C: number, accumulate: boolean): KernelSource {
  const body =
    `${indices(['r', 'i'], [R, C])}const rs = st[r + ${R}];\n  const xh = (x[this.thread.x] - st[r]) * rs;\n` +
    `  const d = dout[this.thread.x] * g[i];\n  const v = rs * (d - m[r] - xh * m[r + ${R}]);\n` +
    (accumulate ? `  return dxIn[this.thread.x] + v;` : `  return v;`);
  return { size: R * C, source: fn(accumulate ? 'dout, g, x, st, m, dxIn' : 'dout, g, x, st, m', body) };
}

/** LayerNorm gain gradient `dg[i] = Σ_r dout[r, i]·x̂[r, i]`. */
export function lnBackDg(R: number, C: number): KernelSource {
  return {
    size: C,
    source: fn(
      'dout, x, st',
      `const i = this.thread.x;\n  let acc = 0.0;\n  for (let r = 0; r < ${R}; r++) {\n` +
        `    acc = acc + dout[r * ${C} + i] * ((x[r * ${C} + i] - st[r]) * st[r + ${R}]);\n  }\n  return acc;`,
    ),
  };
}

/** `dP[b, h, t, s] = dy_t·v_s` for `s ≤ t` (0 above). */
export function attnDP({ B, H, T, C }: AttnDims): KernelSource {
  const hs = C / H;
  return {
    size: B * H * T * T,
    source: fn(
      'dy, qkv',
      `${indices(['b', 'h', 't', 's'], [B, H, T, T])}if (s > t) { return 0.0; }\n` +
        `  const g = (b * ${T} + t) * ${C} + h * ${hs};\n  const v = (b * ${T} + s) * ${3 * C} + ${2 * C} + h * ${hs};\n` +
        `  let dot = 0.0;\n  for (let i = 0; i < ${hs}; i++) { dot = dot + dy[g + i] * qkv[v + i]; }\n  return dot;`,
    ),
  };
}

/** Softmax backward: `dS = P·(dP − Σ_s P·dP)/√hs` per row of `T` (rows `R = B·H·T`). */
export function attnDS(R: number, T: number, hs: number): KernelSource {
  return {
    size: R * T,
    source: fn(
      'P, dP',
      `${indices(['r', 's'], [R, T])}let sum = 0.0;\n` +
        `  for (let u = 0; u < ${T}; u++) { sum = sum + P[r * ${T} + u] * dP[r * ${T} + u]; }\n` +
        `  return P[this.thread.x] * (dP[this.thread.x] - sum) * ${lit(1 / Math.sqrt(hs))};`,
    ),
  };
}

/**
 * `∂L/∂qkv [B·T, 3C]`: `dq_t = Σ_{s≤t} dS[t,s]·k_s`, `dk_s = Σ_{t≥s} dS[t,s]·q_t`,
 * `dv_s = Σ_{t≥s} P[t,s]·dy_t`, per head.
 */
export function attnDqkv({ B, H, T, C }: AttnDims): KernelSource {
  const hs = C / H;
  return {
    size: B * T * 3 * C,
    source: fn(
      'dS, P, qkv, dy',
      `${indices(['b', 't', 'part', 'h', 'i'], [B, T, 3, H, hs])}const base = (b * ${H} + h) * ${T};\n  let acc = 0.0;\n` +
        `  if (part < 0.5) {\n    for (let s = 0; s < ${T}; s++) { if (s <= t) {\n` +
        `      acc = acc + dS[(base + t) * ${T} + s] * qkv[(b * ${T} + s) * ${3 * C} + ${C} + h * ${hs} + i];\n    } }\n` +
        `  } else if (part < 1.5) {\n    for (let u = 0; u < ${T}; u++) { if (u >= t) {\n` +
        `      acc = acc + dS[(base + u) * ${T} + t] * qkv[(b * ${T} + u) * ${3 * C} + h * ${hs} + i];\n    } }\n` +
        `  } else {\n    for (let u = 0; u < ${T}; u++) { if (u >= t) {\n` +
        `      acc = acc + P[(base + u) * ${T} + t] * dy[(b * ${T} + u) * ${C} + h * ${hs} + i];\n    } }\n  }\n  return acc;`,
    ),
  };
}

/** `dwpe[t, i] = Σ_b dx[b·T + t, i]`. */
export function wpeGrad(B: number, T: number, C: number): KernelSource {
  return {
    size: T * C,
    source: fn('dx', `let acc = 0.0;\n  for (let b = 0; b < ${B}; b++) { acc = acc + dx[b * ${T * C} + this.thread.x]; }\n  return acc;`),
  };
}

/** Tied embedding gradient: `dwte[v, i] = head[v, i] + Σ_{n: tok[n] = v} dx[n, i]`. */
export function wteGrad(N: number, V: number, C: number): KernelSource {
  return {
    size: V * C,
    source: fn(
      'head, dx, tok',
      `${indices(['v', 'i'], [V, C])}let acc = 0.0;\n` +
        `  for (let n = 0; n < ${N}; n++) { if (Math.abs(tok[n] - v) < 0.5) { acc = acc + dx[n * ${C} + i]; } }\n` +
        `  return head[this.thread.x] + acc;`,
    ),
  };
}
