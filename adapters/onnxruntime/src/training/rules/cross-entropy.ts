// SoftmaxCrossEntropyLoss: scores `[N, C, d…]` (classes on axis 1), integer labels `[N, d…]`,
// optional class weights `[C]`. Per element `ℓ = −w[t]·log softmax(x)[t]`; the reduction is `mean`
// (Σℓ / Σw[t] over elements not ignored), `sum` or `none`. With p = softmax(x):
// `∂x = (p − onehot(t)) · w[t] · c` where `c` is dY (sum, none) or dY / Σw[t] (mean), and 0 on
// elements whose label is `ignore_index`.

import { ElemType } from '../../onnx/schema.js';
import { elementCount } from '../../onnx/tensor-data.js';
import { intAttr } from '../attributes.js';
import type { GradientRule } from './rule.js';

export const softmaxCrossEntropyLoss: GradientRule = {
  op: 'SoftmaxCrossEntropyLoss',
  differentiable: [0],
  check: (node) => {
    const reduction = node.attrs.string('reduction', 'mean');
    return ['mean', 'sum', 'none'].includes(reduction) ? undefined : `reduction "${reduction}"`;
  },
  backward: (ctx, dys) => {
    const { e } = ctx;
    const [scores, labels, weights = ''] = ctx.node.inputs;
    const shape = ctx.shape(scores!);
    const C = shape[1]!;
    const labelShape = ctx.shape(labels!);
    const probabilities = e.op('Exp', [ctx.forwardOutput(1)]);
    const grads: string[] = [];
    if (dys[0] !== undefined) {
      const attrs = ctx.node.attrs;
      const reduction = attrs.string('reduction', 'mean');
      const ignore = attrs.int('ignore_index');
      const cast = (v: string): string => e.op('Cast', [v], [intAttr('to', ctx.dtype(scores!))]);
      let target = labels!;
      let valid: string | undefined; // 1 where the label counts, 0 where it is ignored
      if (ignore !== undefined) {
        const keep = e.op('Not', [e.op('Equal', [target, e.scalar(ignore, ctx.dtype(target))])]);
        valid = cast(keep);
        target = e.op('Where', [keep, target, e.scalar(0, ctx.dtype(target))]);
      }
      // Per-element factor w[t]·valid; none when every element has weight 1.
      let factor = weights !== '' ? e.op('Gather', [weights, target]) : undefined;
      if (valid !== undefined) factor = factor === undefined ? valid : e.mul(factor, valid);
      let coefficient = dys[0];
      if (reduction === 'mean') {
        const total = factor === undefined ? ctx.scalar(elementCount(labelShape)) : e.reduceSum(factor, labelShape.map((_, i) => i), false);
        coefficient = e.div(coefficient, total);
      }
      if (factor !== undefined) coefficient = e.mul(factor, coefficient);
      // A per-element coefficient [N, d…] broadcasts over the classes as [N, 1, d…].
      if (reduction === 'none' || factor !== undefined) {
        coefficient = e.reshape(coefficient, labelShape, [labelShape[0]!, 1, ...labelShape.slice(1)]);
      }
      const depth = e.scalar(C, ElemType.INT64);
      const onehot = e.op('OneHot', [target, depth, e.constant(ctx.dtype(scores!), [2], [0, 1])], [intAttr('axis', 1)]);
      grads.push(e.mul(e.sub(probabilities, onehot), coefficient));
    }
    if (dys[1] !== undefined) {
      // Through the log_prob output: the log-softmax rule over the class axis.
      grads.push(e.sub(dys[1], e.mul(probabilities, e.reduceSum(dys[1], [1], true))));
    }
    return [e.sum(grads)];
  },
  covers: 'reduction mean, sum or none; ignore_index; class weights',
};
