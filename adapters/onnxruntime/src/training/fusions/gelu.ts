// The exact (erf) GELU as exporters write it, `y = k·x·(1 + erf(x/√2))` with k = ½ (PyTorch:
// Div, Erf, Add, Mul, Mul) or k = 1 (the ½ folded elsewhere), differentiated as one function:
// `∂x = k·dY·(A + x·√(2/π)·e^(−s²))` with `s = x/√2` and `A = 1 + erf(s)` read from the forward
// pass. Six or seven elementwise passes instead of the eight or nine of the per-op rules.

import type { GraphNode } from '../graph.js';
import type { Fusion, FusionContext } from './fusion.js';

const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** `[other, constant]` when `node` is a binary op of `value` and a scalar constant `c`. */
function withConstant(f: FusionContext, node: GraphNode, c: number): string | undefined {
  const [a, b] = node.inputs;
  if (a === undefined || b === undefined) return undefined;
  if (near(f.scalar(b), c)) return a;
  if (node.opType !== 'Div' && near(f.scalar(a), c)) return b;
  return undefined;
}

/** The GELU whose last node is `root`, if the nodes before it compute nothing else. */
export function matchGelu(f: FusionContext, root: GraphNode): Fusion | undefined {
  if (root.opType !== 'Mul') return undefined;
  const interior: GraphNode[] = [];
  let k = 1;
  let product = root;
  const half = withConstant(f, root, 0.5);
  const halfProducer = half === undefined ? undefined : f.producer(half);
  if (halfProducer?.opType === 'Mul' && f.private(half!)) {
    k = 0.5;
    product = halfProducer;
    interior.push(product);
  }
  // product = x · A, A = Add(erf(s), 1), s = x/√2 or x·(1/√2)
  for (const [x, a] of [
    [product.inputs[0], product.inputs[1]],
    [product.inputs[1], product.inputs[0]],
  ] as const) {
    if (x === undefined || a === undefined) continue;
    const add = f.producer(a);
    if (add?.opType !== 'Add' || !f.private(a)) continue;
    const erfOut = withConstant(f, add, 1);
    const erf = erfOut === undefined ? undefined : f.producer(erfOut);
    if (erf?.opType !== 'Erf' || !f.private(erfOut!)) continue;
    const s = erf.inputs[0]!;
    const scale = f.producer(s);
    if (scale === undefined || !f.private(s)) continue;
    const scaled = scale.opType === 'Div' ? withConstant(f, scale, Math.SQRT2) : scale.opType === 'Mul' ? withConstant(f, scale, Math.SQRT1_2) : undefined;
    if (scaled !== x) continue;
    return {
      root,
      input: x,
      interior: [...interior, add, erf, scale],
      backward: (ctx, dy) => {
        const { e } = ctx;
        const density = e.op('Exp', [e.sub(ctx.scalar(Math.log(Math.sqrt(2 / Math.PI))), e.mul(s, s))]);
        const slope = e.add(a, e.mul(x, density));
        const dx = e.mul(dy, slope);
        return k === 1 ? dx : e.mul(dx, ctx.scalar(k));
      },
    };
  }
  return undefined;
}
