// The symbolic tensors of the lazy backend.
//
// - {@link OnnxTensor} is the handle users and core see. A *persistent* tensor ({@link Variable},
//   made by `fromArray`/`zerosLike`) owns a CPU array: a `Float32Array`, or the raw bits of a
//   bfloat16 or float16 tensor in a `Uint16Array`; every other handle is a node of a DAG
//   ({@link OpNode}, float32) evaluated by onnxruntime when a step runs or a value is read.
// - When an op takes a persistent tensor as input it captures a {@link Leaf}: an immutable
//   snapshot of the tensor's current data. Buffers are never written in place (assignments swap in
//   the new output buffer), so a snapshot stays valid and ops see exactly the values they would have
//   seen on an eager backend.
// - Numbers given to ops become {@link ScalarInput}s: graph inputs, never constants, so the graph's
//   structure (and its compiled session) never depends on numeric values.
// Internal: not part of the package exports.

import { LmoError, type Shape, type StorageDtype } from '@lmo/core';
import type { GramSide, PolynomialCoefficients } from '@lmo/core/backend';

/** A persistent tensor's array: float32 values, or a 16-bit dtype's raw bits. */
export type HostData = Float32Array | Uint16Array;

/**
 * ONNX operators the backend emits. Two are composites: `MaxAbs` (NaN-propagating `max |x|`) and
 * `NewtonSchulz` (the polynomial steps of an orthogonalization, as a chain of `Gemm`s).
 */
export type OpType =
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Sign'
  | 'Sqrt'
  | 'Abs'
  | 'Transpose'
  | 'Reshape'
  | 'ReduceSumSquare'
  | 'MaxAbs'
  | 'Gemm'
  | 'MatMul'
  | 'NewtonSchulz'
  | 'Round';

/** Structural node attributes (part of the graph's cache key). */
export interface OpAttributes {
  /** ReduceSumSquare: the reduced axis (absent = all). */
  readonly axis?: number;
  /** Gemm: transpose flags. */
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** NewtonSchulz: the Gram side and one coefficient triple per step (graph constants). */
  readonly newtonSchulz?: { readonly side: GramSide; readonly coefficients: readonly PolynomialCoefficients[] };
  /**
   * Round: the dtype whose values the float32 result takes (to nearest even, by two `Cast`s), or
   * with a seed stochastically (on the host, after the graph: such a node is only a run's output).
   */
  readonly round?: { readonly dtype: StorageDtype; readonly seed?: number };
}

let nextId = 1;

/** A tensor handle of the onnxruntime backend: a persistent CPU tensor or a lazy graph node. */
export abstract class OnnxTensor {
  /** @internal a unique id (debugging only; never part of a cache key). */
  readonly id = nextId++;
  protected constructor(
    /** The tensor's shape. */
    readonly shape: Shape,
  ) {}
}

/** An input to an {@link OpNode}: a data snapshot, a scalar input or another op. */
export type GraphNode = Leaf | ScalarInput | OpNode;

/** A persistent tensor: owns a CPU buffer that `assign` replaces after a successful run. */
export class Variable extends OnnxTensor {
  /** The current values (a `Uint16Array` of bits for a 16-bit {@link Variable.dtype}); `null` once disposed. Never mutated in place. */
  data: HostData | null;
  private leaf: Leaf | null = null;

  constructor(
    data: HostData,
    shape: Shape,
    /** How the values are stored. */
    readonly dtype: StorageDtype = 'float32',
  ) {
    super(shape);
    this.data = data;
  }

  /** A snapshot of the current data (cached until the data is replaced). */
  snapshot(): Leaf {
    const data = this.data;
    if (data === null) throw new LmoError('BACKEND', 'onnxruntime backend: tensor used after dispose()');
    if (this.leaf === null || this.leaf.data !== data) this.leaf = new Leaf(data, this.shape, this.dtype);
    return this.leaf;
  }

  /** Replace the data (after a successful run), an array of the variable's own dtype. */
  replace(data: HostData): void {
    if (this.data === null) return;
    this.data = data;
    this.leaf = null;
  }
}

/** An immutable data snapshot, fed to the graph as an input (a 16-bit one is widened in the graph). */
export class Leaf extends OnnxTensor {
  /** @internal the graph tracer's mark: the trace that last visited this node (see `traceGraph`). */
  trace = 0;
  /** @internal the node's position in that trace's order. */
  position = 0;

  constructor(
    readonly data: HostData,
    shape: Shape,
    readonly dtype: StorageDtype = 'float32',
  ) {
    super(shape);
  }
}

/** A number fed to the graph as a rank-0 float input. */
export class ScalarInput {
  readonly shape: Shape = [];
  /** @internal the graph tracer's mark (see {@link Leaf.trace}). */
  trace = 0;
  /** @internal the node's position in that trace's order. */
  position = 0;

  constructor(readonly value: number) {}
}

/** One ONNX operator application. */
export class OpNode extends OnnxTensor {
  /** @internal the graph tracer's mark (see {@link Leaf.trace}). */
  trace = 0;
  /** @internal the node's position in that trace's order. */
  position = 0;

  constructor(
    readonly op: OpType,
    readonly inputs: readonly GraphNode[],
    shape: Shape,
    readonly attributes: OpAttributes = {},
  ) {
    super(shape);
  }
}

export { sizeOf } from '@lmo/core/backend';
