// Elementwise ops of the float64 oracle.
import { tensor, zipWith, type T64 } from './tensor.js';

/** erf by its Maclaurin series (|x| ≤ 3 here: 1e-15 accurate in float64). */
export function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const unary: Record<string, (x: number, attrs: Attrs) => number> = {
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Erf: erf,
  Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => Math.max(x, 0),
  LeakyRelu: (x, a) => (x >= 0 ? x : (a.alpha ?? 0.01) * x),
  Neg: (x) => -x,
  Abs: Math.abs,
  Identity: (x) => x,
  Cast: (x) => x,
  Dropout: (x) => x,
  Sign: Math.sign,
  Floor: Math.floor,
  Softplus: (x) => Math.log1p(Math.exp(x)),
  Elu: (x, a) => (x > 0 ? x : (a.alpha ?? 1) * (Math.exp(x) - 1)),
  HardSigmoid: (x, a) => Math.max(0, Math.min(1, (a.alpha ?? 0.2) * x + ((a.beta as number | undefined) ?? 0.5))),
  HardSwish: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  Sin: Math.sin,
  Cos: Math.cos,
};

const binary: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
};

export type Attrs = Readonly<Record<string, number | number[] | string | undefined>> & { alpha?: number };

export function elementwise(op: string, inputs: readonly T64[], attrs: Attrs): T64[] | undefined {
  const u = unary[op];
  if (u !== undefined) return [tensor(inputs[0]!.shape, (i) => u(inputs[0]!.data[i]!, attrs))];
  const b = binary[op];
  if (b !== undefined) return [zipWith(inputs.slice(0, 2), b)];
  if (op === 'Sum') return [zipWith(inputs, (...v) => v.reduce((p, q) => p + q, 0))];
  if (op === 'Where') return [zipWith(inputs, (c, x, y) => (c !== 0 ? x! : y!))];
  if (op === 'Max') return [zipWith(inputs, (...v) => Math.max(...v))];
  if (op === 'Min') return [zipWith(inputs, (...v) => Math.min(...v))];
  if (op === 'Clip') {
    const [x, lo, hi] = inputs as Array<T64 | undefined>;
    const [a, b] = [lo?.data[0] ?? -Infinity, hi?.data[0] ?? Infinity];
    return [tensor(x!.shape, (i) => Math.min(Math.max(x!.data[i]!, a), b))];
  }
  return undefined;
}
