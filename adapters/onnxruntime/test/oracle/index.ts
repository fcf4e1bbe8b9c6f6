// The float64 oracle: forward values of ONNX ops, from the operator specification, sharing no code
// with the gradient rules under test.
import { elementwise, type Attrs } from './elementwise.js';
import { layout } from './layout.js';
import { nn } from './nn.js';
import { reductions } from './reduce.js';
import type { T64 } from './tensor.js';

export type { Attrs } from './elementwise.js';
export { size, tensor, type T64 } from './tensor.js';

/** The outputs of `op` on `inputs` (undefined for an absent optional input). */
export function evaluate(op: string, inputs: readonly (T64 | undefined)[], attrs: Attrs, outputs = 1): T64[] {
  const result = elementwise(op, inputs as T64[], attrs) ?? layout(op, inputs, attrs, outputs) ?? reductions(op, inputs, attrs) ?? nn(op, inputs, attrs);
  if (result === undefined) throw new Error(`the oracle does not evaluate ${op}`);
  return result;
}
