/**
 * Kernel sources for the gpu.js engine.
 *
 * Every kernel works on flat, row-major data: its output is 1-D (`[size]`) and each thread computes
 * one element `this.thread.x`. Shapes are baked into the source as literals, so gpu.js compiles one
 * kernel per (operation, shape) and loop bounds are compile-time constants (the GL and WGSL
 * translators need them). Numbers that change between steps (learning rates, scales) are kernel
 * arguments, never part of the source, so they never cause a recompilation.
 *
 * Sources are plain strings: gpu.js parses them itself, so they use only the JavaScript subset
 * gpu.js translates (no closures, no helper calls besides `Math.*`).
 */

/** How the right operand of `mul`/`div` broadcasts over an `[m, n]` left operand. */
export type Broadcast = 'full' | 'row' | 'col' | 'scalar';

/** A kernel description: its source and its output size. */
export interface KernelSource {
  readonly source: string;
  readonly size: number;
}

/** A float literal gpu.js reads as a float (never as an integer). */
function lit(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/**
 * Row and column of the flat index `this.thread.x` in a row-major matrix with `n` columns.
 * Division may be carried out in float32 by some engines; the two corrections make it exact.
 */
function rowCol(n: number): string {
  return (
    `let i = Math.floor(this.thread.x / ${lit(n)});\n` +
    `  let j = this.thread.x - i * ${n};\n` +
    `  if (j < 0) { i = i - 1; j = j + ${n}; }\n` +
    `  if (j >= ${n}) { i = i + 1; j = j - ${n}; }\n`
  );
}

/** `out[x] = expr(a[x])`. */
export function unary(size: number, expr: (v: string) => string): KernelSource {
  return { size, source: `function (a) {\n  const v = a[this.thread.x];\n  return ${expr('v')};\n}` };
}

/** `out[x] = a[x]`: used to upload data and to copy into assigned parameters. */
export function copy(size: number): KernelSource {
  return unary(size, (v) => v);
}

/** `out[x] = a[x] ⊙ b[…]` with `b` broadcast. */
export function binary(m: number, n: number, op: '+' | '-' | '*' | '/', broadcast: Broadcast): KernelSource {
  const size = m * n;
  let index: string;
  let prelude = '';
  switch (broadcast) {
    case 'full':
      index = 'this.thread.x';
      break;
    case 'scalar':
      index = '0';
      break;
    case 'row':
      prelude = rowCol(n);
      index = 'i';
      break;
    case 'col':
      prelude = rowCol(n);
      index = 'j';
      break;
  }
  return {
    size,
    source: `function (a, b) {\n  ${prelude}  return a[this.thread.x] ${op} b[${index}];\n}`,
  };
}

/** `out[x] = a[x] · s`. */
export function scale(size: number): KernelSource {
  return { size, source: `function (a, s) {\n  return a[this.thread.x] * s;\n}` };
}

/** `out[x] = a[x] + s`. */
export function addScalar(size: number): KernelSource {
  return { size, source: `function (a, s) {\n  return a[this.thread.x] + s;\n}` };
}

/** `out[x] = α·a[x] + β·b[x]`. */
export function axpby(size: number): KernelSource {
  return { size, source: `function (alpha, a, beta, b) {\n  return alpha * a[this.thread.x] + beta * b[this.thread.x];\n}` };
}

/** `sign` with `sign(±0) = ±0` and NaN passed through (no reliance on `Math.sign`'s NaN rules). */
export function sign(size: number): KernelSource {
  return {
    size,
    source:
      `function (a) {\n  const v = a[this.thread.x];\n` +
      `  if (v > 0) { return 1.0; }\n  if (v < 0) { return -1.0; }\n  return v;\n}`,
  };
}

/** What a reduction accumulates. */
export type Reduce = 'sumSquares' | 'maxAbs' | 'sum' | 'max' | 'nonFinite';

function accumulate(kind: Reduce, acc: string, v: string): string {
  switch (kind) {
    case 'sumSquares':
      return `${acc} = ${acc} + ${v} * ${v};`;
    case 'sum':
      return `${acc} = ${acc} + ${v};`;
    case 'maxAbs':
      // written so that a NaN element makes the result NaN on every engine
      return `const w = Math.abs(${v}); if (w > ${acc} || w !== w) { ${acc} = w; }`;
    case 'max':
      return `if (${v} > ${acc} || ${v} !== ${v}) { ${acc} = ${v}; }`;
    case 'nonFinite':
      return `if (${v} !== ${v}) { ${acc} = ${acc} + 1.0; } else if (Math.abs(${v}) > 3.4028234663852886e38) { ${acc} = ${acc} + 1.0; }`;
  }
}

/**
 * Reduce an `[m, n]` matrix along `axis` (`1`: one value per row, output `[m]`; `0`: one value per
 * column, output `[n]`).
 */
export function reduce(m: number, n: number, axis: 0 | 1, kind: Reduce): KernelSource {
  const count = axis === 1 ? n : m;
  const index = axis === 1 ? `this.thread.x * ${n} + k` : `k * ${n} + this.thread.x`;
  return {
    size: axis === 1 ? m : n,
    source:
      `function (a) {\n  let acc = 0.0;\n  for (let k = 0; k < ${count}; k++) {\n` +
      `    const v = a[${index}];\n    ${accumulate(kind, 'acc', 'v')}\n  }\n  return acc;\n}`,
  };
}

/** `out = aᵀ` for `a` of shape `[m, n]` (output `[n, m]`). */
export function transpose(m: number, n: number): KernelSource {
  return {
    size: m * n,
    source: `function (a) {\n  ${rowCol(m)}  return a[j * ${n} + i];\n}`,
  };
}

/**
 * `out = op(a) · op(b)`, `op(a)` being `[m, k]` and `op(b)` `[k, n]` (output `[m, n]`).
 *
 * gpu.js kernels have no workgroup-shared memory, so the "tiling" here is in registers: the inner
 * product is unrolled by four with four independent accumulators, which shortens the dependency
 * chain on every engine and lets webasm's SIMD lowering and GPU compilers schedule loads early.
 */
export function matmul(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): KernelSource {
  const aAt = (kk: string): string => (transposeA ? `a[(${kk}) * ${m} + i]` : `a[i * ${k} + (${kk})]`);
  const bAt = (kk: string): string => (transposeB ? `b[j * ${k} + (${kk})]` : `b[(${kk}) * ${n} + j]`);
  const main = Math.floor(k / 4) * 4;
  let body = `  let s0 = 0.0;\n  let s1 = 0.0;\n  let s2 = 0.0;\n  let s3 = 0.0;\n`;
  if (main > 0) {
    body +=
      `  for (let p = 0; p < ${main}; p += 4) {\n` +
      `    s0 = s0 + ${aAt('p')} * ${bAt('p')};\n` +
      `    s1 = s1 + ${aAt('p + 1')} * ${bAt('p + 1')};\n` +
      `    s2 = s2 + ${aAt('p + 2')} * ${bAt('p + 2')};\n` +
      `    s3 = s3 + ${aAt('p + 3')} * ${bAt('p + 3')};\n  }\n`;
  }
  for (let p = main; p < k; p++) {
    body += `  s0 = s0 + ${aAt(String(p))} * ${bAt(String(p))};\n`;
  }
  return {
    size: m * n,
    source: `function (a, b) {\n  ${rowCol(n)}${body}  return (s0 + s1) + (s2 + s3);\n}`,
  };
}
