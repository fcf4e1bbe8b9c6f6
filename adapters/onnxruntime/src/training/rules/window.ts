// The geometry shared by convolutions and pools: explicit pads (auto_pad resolved), and the
// transposed-convolution pads that map an output-sized gradient back onto the input exactly.

import type { GraphNode } from '../graph.js';

/** Per spatial axis: kernel size, stride, dilation, begin and end padding, input and output size. */
export interface WindowAxis {
  readonly k: number;
  readonly s: number;
  readonly d: number;
  readonly pb: number;
  readonly pe: number;
  readonly size: number;
  readonly out: number;
}

/** The window geometry of a Conv or pool node, `inSpatial`/`outSpatial` from the static shapes. */
export function windowAxes(node: GraphNode, kernel: readonly number[], inSpatial: readonly number[], outSpatial: readonly number[]): WindowAxis[] {
  const n = kernel.length;
  const ones = Array.from({ length: n }, () => 1);
  const strides = node.attrs.ints('strides') ?? ones;
  const dilations = node.attrs.ints('dilations') ?? ones;
  const autoPad = node.attrs.string('auto_pad', 'NOTSET');
  const pads = node.attrs.ints('pads') ?? Array.from({ length: 2 * n }, () => 0);
  return kernel.map((k, i) => {
    const [s, d, size, out] = [strides[i]!, dilations[i]!, inSpatial[i]!, outSpatial[i]!];
    let [pb, pe] = [pads[i]!, pads[i + n]!];
    if (autoPad === 'VALID') [pb, pe] = [0, 0];
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
      const small = Math.floor(total / 2);
      [pb, pe] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    }
    return { k, s, d, pb, pe, size, out };
  });
}

/**
 * Pads and output padding of the ConvTranspose that scatters an output-shaped gradient back to
 * the input: its output, `s·(out − 1) + (k − 1)·d + 1 − pb − pe′ + op`, must be `size` exactly.
 */
export function transposedPads(axes: readonly WindowAxis[]): { pads: number[]; outputPadding: number[] } {
  const ends = axes.map((a) => a.s * (a.out - 1) + (a.k - 1) * a.d + 1 - a.pb - a.size);
  return {
    pads: [...axes.map((a) => a.pb), ...ends.map((e) => Math.max(e, 0))],
    outputPadding: ends.map((e) => Math.max(-e, 0)),
  };
}
