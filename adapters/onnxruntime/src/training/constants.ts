// The values of a Constant node, read from its attribute (no run needed).
// Internal.

import { numericValues } from '../onnx/tensor-data.js';
import type { GraphNode } from './graph.js';

/** The values of a Constant node's output, or `undefined` for a form this reads no values from. */
export function numericValuesOfConstant(node: GraphNode): number[] | undefined {
  const a = node.attrs;
  const t = a.tensor('value');
  if (t !== undefined) {
    try {
      return numericValues(t);
    } catch {
      return undefined;
    }
  }
  if (a.has('value_float')) return [a.float('value_float', 0)];
  if (a.has('value_int')) return [a.int('value_int', 0)];
  const floats = node.proto.attribute.find((x) => x.name === 'value_floats')?.floats;
  if (floats !== undefined) return [...floats];
  return a.ints('value_ints');
}
