import type { Shape, TensorBackend } from '../backend/contract.js';
import type { Norm } from '../norms/norm.js';
import { formatShape } from '../shape.js';

/** One LMO to take: the norm, the parameter's shape, and the direction `d` as its 2-D view. */
export interface LmoRequest<T> {
  readonly norm: Norm;
  readonly shape: Shape;
  readonly d: T;
}

/**
 * `lmo(d)` for every request, in order. Requests that share a norm and a shape go to the norm's
 * `lmoBatch` together (e.g. one batched Newton–Schulz for the same-shape matrices of every layer).
 */
export function lmoDirections<T>(b: TensorBackend<T>, requests: readonly LmoRequest<T>[]): T[] {
  const out = new Array<T>(requests.length);
  const batches = new Map<Norm, Map<string, number[]>>();
  requests.forEach((r, i) => {
    if (r.norm.lmoBatch === undefined) {
      out[i] = r.norm.lmo(b, r.d, r.shape);
      return;
    }
    let byShape = batches.get(r.norm);
    if (byShape === undefined) batches.set(r.norm, (byShape = new Map()));
    const key = formatShape(r.shape);
    const indices = byShape.get(key);
    if (indices === undefined) byShape.set(key, [i]);
    else indices.push(i);
  });
  for (const [norm, byShape] of batches) {
    for (const indices of byShape.values()) {
      const first = requests[indices[0]!]!;
      const us = norm.lmoBatch!(b, indices.map((i) => requests[i]!.d), first.shape);
      indices.forEach((i, k) => {
        out[i] = us[k]!;
      });
    }
  }
  return out;
}
