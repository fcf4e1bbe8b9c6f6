// Weights and gradient buffers stored in 16 bits, inside a training graph: the nodes that widen a
// fed 16-bit tensor to float32 and round a float32 result back into one (to nearest even, by
// onnxruntime's Cast). float16 is fed and fetched as onnxruntime's `float16` tensors; bfloat16, which
// onnxruntime's JavaScript API lacks, as `uint16` bits that a `BitCast` (opset 26) reinterprets.
// Internal.

import type { StorageDtype } from '@lmo/core';
import { ElemType, type NodeProto } from '../onnx/schema.js';
import { intAttr, nodeProto, stringAttr } from './attributes.js';

/** The element type a dtype is fed to and fetched from the session as. */
export const FEED_ELEM: Readonly<Record<StorageDtype, number>> = { float32: ElemType.FLOAT, float16: ElemType.FLOAT16, bfloat16: ElemType.UINT16 };

/** The nodes that widen `input` (fed as `dtype`) into the float32 value `output`; `fresh` names the rest. */
export function widenNodes(input: string, output: string, dtype: Exclude<StorageDtype, 'float32'>, fresh: (hint: string) => string): NodeProto[] {
  const cast = (from: string): NodeProto => nodeProto('Cast', [from], [output], fresh(`${output}/widen`), [intAttr('to', ElemType.FLOAT)]);
  if (dtype === 'float16') return [cast(input)];
  const bits = fresh(`${output}/bfloat16`);
  return [nodeProto('BitCast', [input], [bits], fresh(`${output}/bitcast`), [intAttr('to', ElemType.BFLOAT16)]), cast(bits)];
}

/**
 * The nodes that widen the bfloat16 bits `input` (fed as uint16) into the float32 value `output`
 * by other ops than {@link widenNodes} (`bits << 16` reinterpreted as float32, exact):
 * onnxruntime merges identical nodes on one input, and a second widening of the same input must
 * stay a separate copy. `sixteen` names a uint32 constant 16.
 */
export function widenBitsNodes(input: string, output: string, sixteen: string, fresh: (hint: string) => string): NodeProto[] {
  const [wide, shifted] = [fresh(`${output}/uint32`), fresh(`${output}/shifted`)];
  return [
    nodeProto('Cast', [input], [wide], fresh(`${output}/widen`), [intAttr('to', ElemType.UINT32)]),
    nodeProto('BitShift', [wide, sixteen], [shifted], fresh(`${output}/shift`), [stringAttr('direction', 'LEFT')]),
    nodeProto('BitCast', [shifted], [output], fresh(`${output}/bitcast`), [intAttr('to', ElemType.FLOAT)]),
  ];
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

/**
 * `nodes` with each value's additions (by the value they read) placed just after the node that
 * computes it (at the end for a value no node computes): an accumulation into a gradient buffer
 * runs as soon as its gradient is ready, so that the float32 gradients are not all held at once.
 */
export function afterDefinition(nodes: readonly NodeProto[], additions: ReadonlyMap<string, readonly NodeProto[]>): NodeProto[] {
  const out: NodeProto[] = [];
  const placed = new Set<string>();
  for (const n of nodes) {
    out.push(n);
    for (const o of n.output) {
      const add = additions.get(o);
      if (add === undefined || placed.has(o)) continue;
      placed.add(o);
      out.push(...add);
    }
  }
  for (const [value, add] of additions) if (!placed.has(value)) out.push(...add);
  return out;
}
