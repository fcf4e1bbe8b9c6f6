/**
 * The ops the gradient builder differentiates, read from its registry (the docs' list is generated
 * from this).
 */
import { OPSETS, gradientRules } from './rules/index.js';

/** An op type with a gradient rule, and what the rule covers. */
export interface SupportedOp {
  readonly op: string;
  /** Forms and attributes covered, where the rule says. */
  readonly covers?: string;
}

/**
 * The ONNX ops (default domain, opsets 14–18) that trainable values may flow through, sorted. Ops
 * whose outputs are integers or booleans (Shape, Equal, ArgMax, …) and Constants carry no gradient
 * and need no rule; ops that no trainable initializer feeds need none either.
 */
export function supportedOps(): { readonly opsets: { readonly min: number; readonly max: number }; readonly ops: readonly SupportedOp[] } {
  const ops = [...gradientRules.values()]
    .map((r) => ({ op: r.op, ...(r.covers !== undefined ? { covers: r.covers } : {}) }))
    .sort((a, b) => a.op.localeCompare(b.op));
  return { opsets: { ...OPSETS }, ops };
}
