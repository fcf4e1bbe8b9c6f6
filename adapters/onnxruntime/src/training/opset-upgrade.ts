// A model's graph raised to opset 26, where `BitCast` turns the uint16 arrays JavaScript can feed
// into bfloat16 tensors and back (onnxruntime's JavaScript API has no bfloat16 tensors). From the
// opsets training reads (14–18) only two forms change on the way: the reductions other than
// ReduceSum take their axes as an input from opset 18, and an equal Split says how many parts it
// makes (`num_outputs`). The ops whose meaning changed after 18 (GridSample and DFT in 20,
// GroupNormalization in 21) are refused. Internal.

import { ElemType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/schema.js';
import { constantTensor } from '../onnx/tensor-data.js';
import { intAttr } from './attributes.js';
import { trainingError } from './errors.js';

/** The opset that has `BitCast`. */
export const BITCAST_OPSET = 26;

/** Reductions whose axes became an input in opset 18 (ReduceSum's did in 13). */
const AXES_INPUT_FROM_18 = new Set(['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

/** Ops whose meaning changed between opset 18 and 26, with the opset that changed it. */
const CHANGED_AFTER_18: Readonly<Record<string, number>> = { GridSample: 20, DFT: 20, GroupNormalization: 21 };

/** `model` with its default-domain opset raised from `opset` (14–18) to {@link BITCAST_OPSET}. */
export function upgradeToBitCastOpset(model: ModelProto, opset: number): ModelProto {
  const graph = model.graph!;
  const taken = new Set<string>([...graph.initializer.map((t) => t.name ?? ''), ...graph.node.flatMap((n) => [...n.input, ...n.output])]);
  const initializers: TensorProto[] = [];
  const node = graph.node.map((n): NodeProto => {
    const op = n.opType ?? '';
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return n;
    const changed = CHANGED_AFTER_18[op];
    if (changed !== undefined && changed > opset) {
      throw trainingError('BACKEND', `bfloat16 weights need opset ${BITCAST_OPSET} (its BitCast), where ${op} means something else than in the model's opset ${opset} (changed in opset ${changed}); train with float16 weights instead`);
    }
    if (n.attribute.some((a) => a.g !== undefined || a.graphs.length > 0)) {
      throw trainingError('BACKEND', `bfloat16 weights need opset ${BITCAST_OPSET}, and node "${n.name ?? op}" (${op}) holds a subgraph that this upgrade does not rewrite; train with float16 weights instead`);
    }
    if (opset >= 18) return n;
    if (AXES_INPUT_FROM_18.has(op)) {
      const axes = n.attribute.find((a) => a.name === 'axes');
      if (axes === undefined) return n;
      let name = `${n.name ?? op}/axes`;
      while (taken.has(name)) name += '_';
      taken.add(name);
      initializers.push(constantTensor(name, ElemType.INT64, [axes.ints.length], axes.ints));
      return { ...n, input: [n.input[0]!, name], attribute: n.attribute.filter((a) => a !== axes) };
    }
    if (op === 'Split' && (n.input[1] ?? '') === '') return { ...n, attribute: [...n.attribute, intAttr('num_outputs', n.output.length)] };
    return n;
  });
  return {
    ...model,
    irVersion: Math.max(model.irVersion ?? 0, 11),
    opsetImport: [...model.opsetImport.filter((o) => (o.domain ?? '') !== '' && o.domain !== 'ai.onnx'), { domain: '', version: BITCAST_OPSET }],
    graph: { ...graph, node, initializer: [...graph.initializer, ...initializers] },
  };
}
