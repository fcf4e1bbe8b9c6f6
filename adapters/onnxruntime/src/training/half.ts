// Weights and gradient buffers stored in 16 bits, inside a training graph: the nodes that widen a
// fed 16-bit tensor to float32 and round a float32 result back into one (to nearest even, by
// onnxruntime's Cast). float16 is fed and fetched as onnxruntime's `float16` tensors; bfloat16, which
// onnxruntime's JavaScript API lacks, as `uint16` bits that a `BitCast` (opset 26) reinterprets.
// Internal.

import type { StorageDtype } from '@lmo/core';
import { ElemType, type NodeProto } from '../onnx/schema.js';
import { intAttr, nodeProto } from './attributes.js';

/** The element type a dtype is fed to and fetched from the session as. */
export const FEED_ELEM: Readonly<Record<StorageDtype, number>> = { float32: ElemType.FLOAT, float16: ElemType.FLOAT16, bfloat16: ElemType.UINT16 };

/** The nodes that widen `input` (fed as `dtype`) into the float32 value `output`; `fresh` names the rest. */
export function widenNodes(input: string, output: string, dtype: Exclude<StorageDtype, 'float32'>, fresh: (hint: string) => string): NodeProto[] {
  const cast = (from: string): NodeProto => nodeProto('Cast', [from], [output], fresh(`${output}/widen`), [intAttr('to', ElemType.FLOAT)]);
  if (dtype === 'float16') return [cast(input)];
  const bits = fresh(`${output}/bfloat16`);
  return [nodeProto('BitCast', [input], [bits], fresh(`${output}/bitcast`), [intAttr('to', ElemType.BFLOAT16)]), cast(bits)];
}

/** The nodes that round the float32 value `input` to nearest even into `output`, fetched as `dtype`. */
export function narrowNodes(input: string, output: string, dtype: Exclude<StorageDtype, 'float32'>, fresh: (hint: string) => string): NodeProto[] {
  if (dtype === 'float16') return [nodeProto('Cast', [input], [output], fresh(`${output}/narrow`), [intAttr('to', ElemType.FLOAT16)])];
  const rounded = fresh(`${output}/bfloat16`);
  return [
    nodeProto('Cast', [input], [rounded], fresh(`${output}/narrow`), [intAttr('to', ElemType.BFLOAT16)]),
    nodeProto('BitCast', [rounded], [output], fresh(`${output}/bitcast`), [intAttr('to', ElemType.UINT16)]),
  ];
}

/**
 * `nodes` with each value's widening nodes (by the value they make) placed just before the first
 * node that reads it: onnxruntime runs ready nodes in graph order, so a float32 copy is made when
 * it is first needed rather than all of them at the start. Widenings nothing reads are dropped.
 */
export function beforeFirstUse(nodes: readonly NodeProto[], widenings: ReadonlyMap<string, readonly NodeProto[]>): NodeProto[] {
  const out: NodeProto[] = [];
  const placed = new Set<string>();
  for (const n of nodes) {
    for (const x of n.input) {
      const widen = widenings.get(x);
      if (widen === undefined || placed.has(x)) continue;
      placed.add(x);
      out.push(...widen);
    }
    out.push(n);
  }
  return out;
}
