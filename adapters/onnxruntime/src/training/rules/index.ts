// The registry: one gradient rule per ONNX op type (default domain, opsets 14–18).

import { clip, cos, elu, hardSigmoid, hardSwish, sin, softplus } from './activations.js';
import { add, div, mul, pow, sub, sum } from './arithmetic.js';
import { ceil, floor, round, sign } from './constant.js';
import { conv } from './conv.js';
import { softmaxCrossEntropyLoss } from './cross-entropy.js';
import { gather, pad, slice, where } from './indexing.js';
import { concat, expand, flatten, reshape, split, squeeze, tile, transpose, unsqueeze } from './layout.js';
import { gemm, matmul } from './matmul.js';
import { batchNormalization, instanceNormalization, layerNormalization } from './normalization.js';
import { averagePool, globalAveragePool, maxPool } from './pool.js';
import { reduceMean, reduceSum, reduceSumSquare } from './reduce.js';
import type { GradientRule } from './rule.js';
import { max, min } from './selection.js';
import { logSoftmax, softmax } from './softmax.js';
import { abs, cast, dropout, erf, exp, identity, leakyRelu, log, neg, reciprocal, relu, sigmoid, sqrt, tanh } from './unary.js';

export type { CheckContext, GradientRule, RuleContext } from './rule.js';

/** The opsets of the default ONNX domain the rules are written for. */
export const OPSETS = { min: 14, max: 18 } as const;

const all: readonly GradientRule[] = [
  add, sub, mul, div, pow, sum,
  sqrt, reciprocal, exp, log, erf, tanh, sigmoid, relu, leakyRelu, neg, abs, identity, dropout, cast,
  softplus, elu, hardSigmoid, hardSwish, clip, sin, cos, max, min,
  matmul, gemm,
  reshape, flatten, squeeze, unsqueeze, transpose, expand, concat, split, tile,
  slice, pad, gather, where,
  reduceSum, reduceMean, reduceSumSquare,
  softmax, logSoftmax, softmaxCrossEntropyLoss,
  layerNormalization, batchNormalization, instanceNormalization,
  conv, maxPool, averagePool, globalAveragePool,
  sign, floor, ceil, round,
];

/** Gradient rules by op type. */
export const gradientRules: ReadonlyMap<string, GradientRule> = new Map(all.map((r) => [r.op, r]));
